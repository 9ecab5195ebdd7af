using System.Buffers.Text;
using System.Security.Cryptography;

namespace Backend.Cli;

/// <summary><c>bkcs webpush-keys</c>: prints a new VAPID key pair (P-256) as the two config lines
/// <c>webpush-public-key=...</c> and <c>webpush-private-key=...</c>, ready for HOME/etc/config; the public key is the
/// <c>applicationServerKey</c> the pages subscribe with.</summary>
internal static class WebPushKeysCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 1)
        {
            await stderr.WriteLineAsync("usage: bkcs webpush-keys (no arguments): prints a new VAPID key pair as config lines");
            return 2;
        }
        var (publicKey, privateKey) = Create();
        await stdout.WriteLineAsync("webpush-public-key=" + publicKey);
        await stdout.WriteLineAsync("webpush-private-key=" + privateKey);
        return 0;
    }

    /// <summary>A new pair: base64url (unpadded) of the uncompressed public point (65 bytes) and of the private
    /// scalar (32 bytes).</summary>
    internal static (string PublicKey, string PrivateKey) Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(includePrivateParameters: true);
        var point = new byte[65];
        point[0] = 4;
        p.Q.X!.CopyTo(point, 1);
        p.Q.Y!.CopyTo(point, 33);
        return (Base64Url.EncodeToString(point), Base64Url.EncodeToString(p.D!));
    }
}
