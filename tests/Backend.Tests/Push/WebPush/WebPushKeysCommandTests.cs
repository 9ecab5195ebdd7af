using Backend.Push;
using Backend.Push.WebPush;
using Backend.Tests.Server;

namespace Backend.Tests.Push.WebPush;

/// <summary><c>bkcs webpush-keys</c>, run as a process: two config lines whose pair the Web Push sender accepts.</summary>
public sealed class WebPushKeysCommandTests
{
    [Fact]
    public async Task Webpush_keys_prints_a_new_matching_pair_as_two_config_lines()
    {
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["webpush-keys"]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("webpush-public-key=", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("webpush-private-key=", lines[1], StringComparison.Ordinal);
        var publicKey = lines[0]["webpush-public-key=".Length..];
        var privateKey = lines[1]["webpush-private-key=".Length..];
        // The sender's own check: base64url, 65-byte point, 32-byte scalar, and the pair matches.
        var (checkedPublic, checkedPrivate) = WebPushSender.ValidateKeys(publicKey, privateKey);
        Assert.Equal(publicKey, checkedPublic);
        Assert.Equal(privateKey, checkedPrivate);
        using var sender = new WebPushSender(
            new WebPushOptions { PublicKey = publicKey, PrivateKey = privateKey, Subject = "mailto:ops@example.com" },
            new PushOptions(), TimeProvider.System, new ListLogger());
        Assert.True(sender.Enabled);

        // Each run is a new pair.
        var (_, again, _) = await BackendServer.RunCommandAsync(["webpush-keys"]);
        Assert.DoesNotContain(lines[0], again, StringComparison.Ordinal);

        var (usage, _, usageError) = await BackendServer.RunCommandAsync(["webpush-keys", "extra"]);
        Assert.Equal(2, usage);
        Assert.Contains("webpush-keys", usageError, StringComparison.Ordinal);
    }
}
