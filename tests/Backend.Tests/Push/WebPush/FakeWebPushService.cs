using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Backend.Tests.Push.WebPush;

/// <summary>A local Web Push service (RFC 8030) on <see cref="PushTestServer"/> (HTTP/2 and 1.1), and the browser side
/// of its subscriptions: <see cref="Subscribe"/> makes a subscription as a browser would (a P-256 key pair and a
/// 16-byte auth secret, an endpoint <c>/push/ID</c>); a POST to the endpoint is checked as a push service checks it
/// (the VAPID <c>Authorization: vapid t=JWT, k=KEY</c>: ES256 signature with k, aud the endpoint's origin, exp within
/// 24 hours, a sub; k the expected application server key; <c>Content-Encoding: aes128gcm</c>; a <c>TTL</c>) and its
/// body is DECRYPTED as the browser would (RFC 8291 and RFC 8188, written here from the RFCs, not with the sender's
/// library), so a delivered notification is proof that a browser could read it.</summary>
internal sealed class FakeWebPushService : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (ECDiffieHellman Key, byte[] Auth)> _subscriptions = new();
    private PushTestServer? _server;

    public FakeWebPushService(string vapidPublicKey) => VapidPublicKey = vapidPublicKey;

    /// <summary>The application server key the subscriptions were made with (base64url of the 65-byte point).</summary>
    public string VapidPublicKey { get; }

    public Uri BaseUrl => _server!.BaseUrl;

    /// <summary>Notifications received and decrypted.</summary>
    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    /// <summary>Requests refused, with why.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    /// <summary>Requests received (accepted or not).</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    /// <summary>When it returns an answer for a subscription id (status and Retry-After), that is sent instead of
    /// accepting; status 0 holds the request until the client gives up.</summary>
    public Func<string, (int Status, string? RetryAfter)?>? Script { get; set; }

    /// <param name="Id">The subscription.</param>
    /// <param name="Payload">The decrypted payload.</param>
    /// <param name="Ttl">The TTL header.</param>
    /// <param name="Urgency">The Urgency header, or null.</param>
    public sealed record Delivery(string Id, string Payload, int Ttl, string? Urgency);

    public async Task<FakeWebPushService> StartAsync(PushTestCertificates certificates)
    {
        _server = await PushTestServer.StartAsync(certificates, HandleAsync, HttpProtocols.Http1AndHttp2);
        return this;
    }

    /// <summary>A new subscription as <c>PushSubscription.toJSON()</c> gives it, and its id.</summary>
    public (string Id, string Json) Subscribe(Uri? endpointBase = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var auth = RandomNumberGenerator.GetBytes(16);
        _subscriptions[id] = (key, auth);
        var json = new JsonObject
        {
            ["endpoint"] = new Uri(endpointBase ?? BaseUrl, "/push/" + id).ToString(),
            ["expirationTime"] = null,
            ["keys"] = new JsonObject { ["p256dh"] = Base64Url.EncodeToString(PublicPoint(key)), ["auth"] = Base64Url.EncodeToString(auth) },
        };
        return (id, json.ToJsonString());
    }

    private static byte[] PublicPoint(ECDiffieHellman key)
    {
        var q = key.ExportParameters(false).Q;
        return [4, .. q.X!, .. q.Y!];
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var path = context.Request.Path.Value ?? "";
        if (context.Request.Method != "POST" || !path.StartsWith("/push/", StringComparison.Ordinal) || !_subscriptions.TryGetValue(path[6..], out var subscription))
        {
            context.Response.StatusCode = 404;
            return;
        }
        var id = path[6..];
        var origin = $"{context.Request.Scheme}://{context.Request.Host}";
        if (CheckVapid(context.Request.Headers.Authorization.ToString(), origin) is { } vapidError)
        {
            Refusals.Enqueue(vapidError);
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync(vapidError, context.RequestAborted);
            return;
        }
        if (!int.TryParse(context.Request.Headers["TTL"].ToString(), out var ttl) || ttl < 0)
        {
            Refusals.Enqueue("no TTL");
            context.Response.StatusCode = 400;
            return;
        }
        if (context.Request.Headers.ContentEncoding.ToString() != "aes128gcm")
        {
            Refusals.Enqueue("Content-Encoding " + context.Request.Headers.ContentEncoding);
            context.Response.StatusCode = 415;
            return;
        }
        if (Script?.Invoke(id) is { } answer)
        {
            if (answer.Status == 0)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return;
            }
            if (answer.RetryAfter is not null) context.Response.Headers.RetryAfter = answer.RetryAfter;
            context.Response.StatusCode = answer.Status;
            return;
        }
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        string payload;
        try
        {
            payload = Decrypt(buffer.ToArray(), subscription.Key, subscription.Auth);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            Refusals.Enqueue("decrypt: " + ex.Message);
            context.Response.StatusCode = 400;
            return;
        }
        Deliveries.Enqueue(new Delivery(id, payload, ttl, context.Request.Headers["Urgency"].FirstOrDefault()));
        context.Response.StatusCode = 201;
        context.Response.Headers.Location = new Uri(BaseUrl, "/message/" + Guid.NewGuid().ToString("N")).ToString();
    }

    /// <summary>RFC 8292: <c>vapid t=JWT, k=KEY</c>, the JWT ES256 with k, aud the origin, exp within 24 h, a sub.</summary>
    private string? CheckVapid(string authorization, string origin)
    {
        if (!authorization.StartsWith("vapid ", StringComparison.Ordinal)) return "not vapid: " + authorization;
        string? t = null, k = null;
        foreach (var part in authorization[6..].Split(','))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2) continue;
            if (kv[0] == "t") t = kv[1];
            if (kv[0] == "k") k = kv[1];
        }
        if (t is null || k is null) return "vapid without t or k";
        if (k.TrimEnd('=') != VapidPublicKey.TrimEnd('=')) return "k is not the application server key of the subscription";
        var point = Base64Url.DecodeFromChars(k.TrimEnd('='));
        var parts = t.Split('.');
        if (parts.Length != 3) return "t is not a JWT";
        using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
        if (!ecdsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            return "bad ES256 signature";
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "ES256") return "alg";
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var c = claims.RootElement;
        var aud = c.GetProperty("aud").GetString();
        if (aud != origin) return $"aud {aud} is not the origin {origin}";
        var exp = DateTimeOffset.FromUnixTimeSeconds(c.GetProperty("exp").GetInt64());
        if (exp <= DateTimeOffset.UtcNow || exp > DateTimeOffset.UtcNow.AddHours(24)) return "exp " + exp;
        var sub = c.TryGetProperty("sub", out var s) ? s.GetString() : null;
        if (sub is null || !(sub.StartsWith("mailto:", StringComparison.Ordinal) || sub.StartsWith("https:", StringComparison.Ordinal))) return "sub " + sub;
        return null;
    }

    /// <summary>RFC 8291 §3.3-3.4 with RFC 8188 (one record): the header is salt (16) | rs (4) | idlen (1) | keyid
    /// (the sender's ephemeral public key, 65); IKM = HKDF(auth, ecdh, "WebPush: info" 0 ua_public as_public, 32);
    /// CEK = HKDF(salt, IKM, "Content-Encoding: aes128gcm" 0, 16), NONCE = HKDF(salt, IKM, "Content-Encoding: nonce"
    /// 0, 12); the plaintext ends with the last-record delimiter 2 and zero padding.</summary>
    internal static string Decrypt(byte[] body, ECDiffieHellman userAgentKey, byte[] authSecret)
    {
        if (body.Length < 21) throw new FormatException("too short for the aes128gcm header");
        var salt = body[..16];
        var rs = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(16, 4));
        var idLength = body[20];
        if (idLength != 65) throw new FormatException("keyid is not a 65-byte P-256 point");
        var asPublic = body[21..(21 + idLength)];
        var record = body[(21 + idLength)..];
        if (record.Length > rs) throw new FormatException("more than one record");
        if (record.Length < 17) throw new FormatException("record too short");

        using var asKey = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = asPublic[1..33], Y = asPublic[33..] } });
        var ecdhSecret = userAgentKey.DeriveRawSecretAgreement(asKey.PublicKey);
        var uaPublic = PublicPoint(userAgentKey);
        byte[] keyInfo = [.. "WebPush: info"u8, 0, .. uaPublic, .. asPublic];
        var ikm = HKDF.DeriveKey(HashAlgorithmName.SHA256, ecdhSecret, 32, authSecret, keyInfo);
        var cek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 16, salt, [.. "Content-Encoding: aes128gcm"u8, 0]);
        var nonce = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, 12, salt, [.. "Content-Encoding: nonce"u8, 0]);

        var plain = new byte[record.Length - 16];
        using (var gcm = new AesGcm(cek, 16))
        {
            gcm.Decrypt(nonce, record.AsSpan(0, record.Length - 16), record.AsSpan(record.Length - 16), plain);
        }
        var end = plain.Length - 1;
        while (end >= 0 && plain[end] == 0) end--;
        if (end < 0 || plain[end] != 2) throw new FormatException("no last-record padding delimiter 0x02");
        return Encoding.UTF8.GetString(plain, 0, end);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _subscriptions.Values) s.Key.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }
}
