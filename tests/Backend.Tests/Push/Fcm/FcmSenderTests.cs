using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Backend.Configuration;
using Backend.Push;
using Backend.Push.Fcm;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Push.Fcm;

/// <summary>The FCM HTTP v1 sender against <see cref="FakeFcm"/>: the OAuth2 grant, the access token's cache and
/// renewal, the message body and what each FCM answer means for the device.</summary>
public sealed class FcmSenderTests : IAsyncLifetime
{
    private const string Email = "push@test-project.iam.gserviceaccount.com";
    private const string Project = "test-project";
    private readonly PushTestCertificates _certs = PushTestCertificates.Create();
    private readonly RSA _key = RSA.Create(2048);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _log = new();
    private FakeFcm _fcm = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fcm = await new FakeFcm(RSA.Create(_key.ExportParameters(false)), Email, Project, _time).StartAsync(_certs);
    }

    public async ValueTask DisposeAsync()
    {
        await _fcm.DisposeAsync();
        _key.Dispose();
        _certs.Dispose();
    }

    private string WriteKeyFile(RSA? key = null, string? tokenUri = null, Action<JsonObject>? change = null)
    {
        var json = new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = Project,
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = (key ?? _key).ExportPkcs8PrivateKeyPem(),
            ["client_email"] = Email,
            ["client_id"] = "1234567890",
            ["token_uri"] = tokenUri ?? _fcm.TokenUri.ToString(),
        };
        change?.Invoke(json);
        var path = Path.Combine(_certs.Directory, $"key-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private FcmSender Sender(string? keyFile = null, int timeoutMs = 10_000, string? project = null) => new(
        new FcmOptions { Key = keyFile ?? WriteKeyFile(), Host = _fcm.BaseUrl.ToString(), Project = project ?? "" },
        new PushOptions { CaFile = _certs.CaFile, TimeoutMs = timeoutMs },
        _time,
        _log);

    [Fact]
    public async Task A_notification_arrives_with_the_v1_body_and_a_message_without_text_is_a_data_message()
    {
        using var sender = Sender();
        Assert.True(sender.Enabled);
        Assert.Equal(PushDevice.Fcm, sender.Service);
        var data = new Dictionary<string, string> { ["id"] = "42", ["kind"] = "chat" };
        var result = await sender.SendAsync("device-token-1", new PushMessage("hello there", Badge: 3, Sound: "ping.caf", Data: data), Ct);
        Assert.Equal(PushResult.Sent, result);
        var result2 = await sender.SendAsync("device-token-2", new PushMessage(null, Data: data), Ct);
        Assert.Equal(PushOutcome.Sent, result2.Outcome);

        var bodies = _fcm.Messages.Select(m => m.Body.ToJsonString()).ToArray();
        Assert.Equal(2, bodies.Length);
        var expected = JsonNode.Parse("""
            {"message":{"token":"device-token-1","notification":{"body":"hello there"},"data":{"id":"42","kind":"chat"},
             "android":{"notification":{"sound":"ping.caf","notification_count":3}},
             "apns":{"payload":{"aps":{"badge":3,"sound":"ping.caf"}}}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(bodies[0])), bodies[0]);
        var dataOnly = JsonNode.Parse("""{"message":{"token":"device-token-2","data":{"id":"42","kind":"chat"}}}""");
        Assert.True(JsonNode.DeepEquals(dataOnly, JsonNode.Parse(bodies[1])), bodies[1]);
    }

    [Fact]
    public async Task The_access_token_is_reused_and_renewed_a_few_minutes_before_it_expires()
    {
        using var sender = Sender();
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync("t1", new PushMessage("a"), Ct)).Outcome);
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync("t1", new PushMessage("b"), Ct)).Outcome);
        Assert.Equal(1, _fcm.TokenRequests);

        // 54 minutes on: the 1-hour token is still used.
        _time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync("t1", new PushMessage("c"), Ct)).Outcome);
        Assert.Equal(1, _fcm.TokenRequests);

        // Less than 5 minutes before its expiry: renewed, and the new token is the one sent.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync("t1", new PushMessage("d"), Ct)).Outcome);
        Assert.Equal(2, _fcm.TokenRequests);
        var bearers = _fcm.Messages.Select(m => m.Bearer).ToArray();
        Assert.Equal(bearers[0], bearers[2]);
        Assert.NotEqual(bearers[0], bearers[3]);
        Assert.Equal(0, _fcm.RefusedBearers);
    }

    [Fact]
    public async Task Concurrent_sends_wait_for_one_token_request()
    {
        using var sender = Sender();
        _fcm.TokenGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sends = Enumerable.Range(0, 20).Select(i => sender.SendAsync("token-" + i, new PushMessage("hi " + i), Ct)).ToArray();
        // Every send is waiting for a token now; the token endpoint holds the one request it got until released.
        await WaitUntilAsync(() => _fcm.TokenRequests >= 1);
        _fcm.TokenGate.SetResult();
        var results = await Task.WhenAll(sends);
        Assert.All(results, r => Assert.Equal(PushOutcome.Sent, r.Outcome));
        Assert.Equal(1, _fcm.TokenRequests);
        Assert.Single(_fcm.Messages.Select(m => m.Bearer).Distinct());
        Assert.Equal(20, _fcm.Messages.Count);
    }

    [Fact]
    public async Task A_revoked_access_token_is_renewed_once_and_the_send_goes_through()
    {
        using var sender = Sender();
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync("t1", new PushMessage("a"), Ct)).Outcome);
        _fcm.RevokeAll();
        var result = await sender.SendAsync("t1", new PushMessage("b"), Ct);
        Assert.Equal(PushOutcome.Sent, result.Outcome);
        Assert.Equal(1, _fcm.RefusedBearers);
        Assert.Equal(2, _fcm.TokenRequests);
        Assert.Equal(2, _fcm.Messages.Count);

        // Refused again with the new token: failed, after exactly one more renewal (no loop).
        _fcm.Script = _ => (401, "UNAUTHENTICATED", null, null, "Request had invalid authentication credentials.");
        Assert.Equal(PushResult.Fail("UNAUTHENTICATED"), await sender.SendAsync("t1", new PushMessage("c"), Ct));
        Assert.Equal(3, _fcm.TokenRequests);
    }

    [Fact]
    public async Task A_key_the_token_endpoint_refuses_is_failed_with_invalid_grant_logged_as_an_error_once()
    {
        using var otherKey = RSA.Create(2048);
        using var sender = Sender(WriteKeyFile(otherKey));
        var result = await sender.SendAsync("t1", new PushMessage("a"), Ct);
        Assert.Equal(PushOutcome.Failed, result.Outcome);
        Assert.Contains("invalid_grant", result.Reason, StringComparison.Ordinal);
        Assert.Equal("Invalid JWT Signature.", Assert.Single(_fcm.GrantErrors));
        var again = await sender.SendAsync("t1", new PushMessage("b"), Ct);
        Assert.Equal(PushOutcome.Failed, again.Outcome);
        Assert.Equal(2, _fcm.TokenRequests);
        Assert.Empty(_fcm.Messages);
        // Rate limited: one error line for the two refusals within a minute.
        Assert.Equal(1, _log.Count(LogLevel.Error, "invalid_grant"));
    }

    [Fact]
    public async Task An_unregistered_token_is_dead_and_an_invalid_registration_token_too_but_another_bad_request_fails()
    {
        using var sender = Sender();
        _fcm.Unregistered["gone"] = true;
        var dead = await sender.SendAsync("gone", new PushMessage("a"), Ct);
        Assert.Equal(PushResult.Dead("UNREGISTERED"), dead);

        _fcm.Script = body => body["message"]!["token"]!.GetValue<string>() switch
        {
            "malformed" => (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", null, "The registration token is not a valid FCM registration token"),
            "bad-data" => (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", null, "Invalid value at 'message.data[0].value'"),
            "other-project" => (403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", null, "SenderId mismatch"),
            _ => null,
        };
        Assert.Equal(PushResult.Dead("INVALID_ARGUMENT"), await sender.SendAsync("malformed", new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Fail("INVALID_ARGUMENT"), await sender.SendAsync("bad-data", new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Dead("SENDER_ID_MISMATCH"), await sender.SendAsync("other-project", new PushMessage("a"), Ct));
    }

    [Fact]
    public async Task Quota_exceeded_and_server_errors_are_retried_later_with_retry_after()
    {
        using var sender = Sender();
        _fcm.Script = body => body["message"]!["token"]!.GetValue<string>() switch
        {
            "quota" => (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "120", "Quota exceeded"),
            "down" => (503, "UNAVAILABLE", "UNAVAILABLE", null, "The service is currently unavailable."),
            "internal" => (500, "INTERNAL", "INTERNAL", null, "Internal error"),
            _ => null,
        };
        Assert.Equal(PushResult.Retry("QUOTA_EXCEEDED", TimeSpan.FromSeconds(120)), await sender.SendAsync("quota", new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Retry("UNAVAILABLE"), await sender.SendAsync("down", new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Retry("INTERNAL"), await sender.SendAsync("internal", new PushMessage("a"), Ct));
    }

    [Fact]
    public async Task A_send_that_times_out_or_cannot_connect_is_retried_later()
    {
        using var sender = Sender(timeoutMs: 500);
        _fcm.Script = _ => (0, "hang", null, null, "");
        var result = await sender.SendAsync("t1", new PushMessage("a"), Ct);
        Assert.Equal(PushResult.Retry("timeout"), result);

        // A token endpoint nobody listens on.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var unreachable = Sender(WriteKeyFile(tokenUri: $"https://127.0.0.1:{port}/token"));
        var down = await unreachable.SendAsync("t1", new PushMessage("a"), Ct);
        Assert.Equal(PushOutcome.RetryLater, down.Outcome);
        Assert.StartsWith("token network", down.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_key_files_are_config_errors_naming_fcm_key()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var notJson = Path.Combine(_certs.Directory, "not.json");
        File.WriteAllText(notJson, "{ not json");
        string[] files =
        [
            Path.Combine(_certs.Directory, "missing.json"),
            notJson,
            WriteKeyFile(change: j => j.Remove("client_email")),
            WriteKeyFile(change: j => j.Remove("private_key")),
            WriteKeyFile(change: j => j["token_uri"] = "not a url"),
            WriteKeyFile(change: j => j["private_key"] = ec.ExportPkcs8PrivateKeyPem()),
            WriteKeyFile(change: j => j["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            WriteKeyFile(change: j => j.Remove("project_id")),
        ];
        foreach (var file in files)
        {
            var ex = Assert.Throws<ConfigException>(() => Sender(file));
            Assert.Contains("-fcm-key", ex.Message, StringComparison.Ordinal);
            Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        }
        // Without project_id, -fcm-project gives it.
        using var withProject = Sender(WriteKeyFile(change: j => j.Remove("project_id")), project: "other");
        Assert.Equal("other", withProject.Project);
    }

    [Fact]
    public async Task A_gcm_key_alone_is_not_enabled_and_logged_as_retired()
    {
        using var sender = new FcmSender(new FcmOptions { GcmKey = "AIzaSyLegacyKey" }, new PushOptions(), _time, _log);
        Assert.False(sender.Enabled);
        Assert.Equal(1, _log.Count(LogLevel.Warning, "GCM is shut down by Google; -gcm-key is not used"));
        Assert.Equal(PushResult.Fail("not configured"), await sender.SendAsync("t1", new PushMessage("a"), Ct));
        Assert.Equal(0, _fcm.TokenRequests);

        using var none = new FcmSender(new FcmOptions(), new PushOptions(), _time, _log);
        Assert.False(none.Enabled);
        Assert.Equal(1, _log.Count(LogLevel.Warning, "GCM"));
    }

    [Theory]
    [InlineData("fMI-qkT0TfE:APA91bHq_2x", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("tab\there", false)]
    [InlineData("caf\u00e9", false)]
    public void Check_token_takes_printable_ascii_without_spaces(string token, bool ok)
    {
        using var sender = new FcmSender(new FcmOptions(), new PushOptions(), _time, _log);
        Assert.Equal(ok, sender.CheckToken(token) is null);
        Assert.Null(sender.CheckToken(new string('a', 4096)));
        Assert.NotNull(sender.CheckToken(new string('a', 4097)));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(10, cts.Token);
    }
}
