using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Backend.Tests.Push.Apns;

/// <summary>What <see cref="FakeApns"/> answers instead of 200: a status and APNs' reason, a <c>Retry-After</c>,
/// and a delay before answering (longer than the sender's timeout to make one).</summary>
internal sealed record FakeApnsAnswer(int Status, string? Reason = null, string? RetryAfter = null, TimeSpan Delay = default);

/// <summary>One request <see cref="FakeApns"/> received, with what it answered.</summary>
internal sealed record FakeApnsRequest(
    string Token,
    string Protocol,
    string ConnectionId,
    string? Topic,
    string? PushType,
    string? Priority,
    string? Expiration,
    string? Authorization,
    long? IssuedAt,
    byte[] Body,
    int Status,
    string? Reason)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>When it was received.</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>A local APNs on <see cref="PushTestServer"/> (HTTP/2 only, TLS with the test CA's server certificate).
/// Per request it checks what Apple checks: <c>POST /3/device/TOKEN</c> over HTTP/2, the provider token (an ES256
/// JWT whose signature verifies with the PUBLIC key it was given, its <c>kid</c>, <c>iss</c> and an <c>iat</c> not
/// older than an hour by <see cref="Time"/>) or, in certificate mode, a client certificate chained to the test CA
/// (required by the TLS handshake), the <c>apns-topic</c>, and a JSON body with an <c>aps</c> object of at most 4096
/// bytes. Answers 403 InvalidProviderToken when the signature does not verify. Failures can be scripted per token or
/// for every token. Everything received is recorded (thread-safe).</summary>
internal sealed class FakeApns : IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeApnsRequest> _received = new();
    private readonly ConcurrentDictionary<string, byte> _connections = new();
    private readonly ConcurrentDictionary<string, Script> _perToken = new(StringComparer.Ordinal);
    private readonly ECDsa? _publicKey;
    private readonly Lock _lock = new();
    private Script? _global;
    private PushTestServer? _server;

    private FakeApns(ECDsa? publicKey, string keyId, string teamId, string topic, TimeProvider time)
    {
        _publicKey = publicKey;
        KeyId = keyId;
        TeamId = teamId;
        Topic = topic;
        Time = time;
    }

    public string KeyId { get; }

    public string TeamId { get; }

    public string Topic { get; }

    /// <summary>The clock the <c>iat</c> is checked against (the sender's, when that is a fake).</summary>
    public TimeProvider Time { get; }

    public Uri BaseUrl => _server!.BaseUrl;

    /// <summary>Every request, in arrival order.</summary>
    public IReadOnlyList<FakeApnsRequest> Received => [.. _received];

    /// <summary>The distinct connections requests came over.</summary>
    public int Connections => _connections.Count;

    /// <summary>Token auth: requests must carry a provider token that verifies with <paramref name="publicKey"/>.</summary>
    public static async Task<FakeApns> StartAsync(PushTestCertificates certs, ECDsa publicKey, string keyId, string teamId, string topic, TimeProvider? time = null)
    {
        var fake = new FakeApns(publicKey, keyId, teamId, topic, time ?? TimeProvider.System);
        fake._server = await PushTestServer.StartAsync(certs, fake.Handle);
        return fake;
    }

    /// <summary>Certificate auth: the TLS handshake requires a client certificate that chains to the test CA.</summary>
    public static async Task<FakeApns> StartWithClientCertificatesAsync(PushTestCertificates certs, string topic)
    {
        var fake = new FakeApns(null, "", "", topic, TimeProvider.System);
        var ca = X509CertificateLoader.LoadCertificate(certs.Ca.RawData);
        fake._server = await PushTestServer.StartAsync(certs, fake.Handle, tls: https =>
        {
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        });
        return fake;
    }

    /// <summary>Answers <paramref name="answer"/> to <paramref name="token"/>, <paramref name="times"/> times.</summary>
    public void Fail(string token, FakeApnsAnswer answer, int times = int.MaxValue) => _perToken[token] = new Script(answer, times);

    /// <summary>Answers <paramref name="answer"/> to every token, <paramref name="times"/> times.</summary>
    public void FailAll(FakeApnsAnswer answer, int times = int.MaxValue)
    {
        lock (_lock) _global = new Script(answer, times);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _publicKey?.Dispose();
    }

    private async Task Handle(HttpContext context)
    {
        var request = context.Request;
        _connections.TryAdd(context.Connection.Id, 0);
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var path = request.Path.Value ?? "";
        var token = path.StartsWith("/3/device/", StringComparison.Ordinal) ? path["/3/device/".Length..] : "";
        string? Header(string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;
        var authorization = Header("authorization");

        var (answer, issuedAt) = Check(request, token, authorization, body);
        answer ??= Scripted(token);
        _received.Enqueue(new FakeApnsRequest(
            token, request.Protocol, context.Connection.Id, Header("apns-topic"), Header("apns-push-type"), Header("apns-priority"),
            Header("apns-expiration"), authorization, issuedAt, body, answer?.Status ?? 200, answer?.Reason));
        if (answer is null)
        {
            context.Response.StatusCode = 200;
            return;
        }
        if (answer.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(answer.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        context.Response.StatusCode = answer.Status;
        if (answer.RetryAfter is not null) context.Response.Headers.RetryAfter = answer.RetryAfter;
        if (answer.Reason is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { reason = answer.Reason }));
        }
    }

    private FakeApnsAnswer? Scripted(string token)
    {
        if (_perToken.TryGetValue(token, out var mine) && mine.Take()) return mine.Answer;
        Script? global;
        lock (_lock) global = _global;
        return global is not null && global.Take() ? global.Answer : null;
    }

    // What APNs checks, in its order: path and method, provider token (or the TLS client certificate), topic, payload.
    private (FakeApnsAnswer? Answer, long? IssuedAt) Check(HttpRequest request, string token, string? authorization, byte[] body)
    {
        if (request.Protocol != "HTTP/2") return (new FakeApnsAnswer(400, "BadRequest"), null);
        if (request.Method != "POST") return (new FakeApnsAnswer(405, "MethodNotAllowed"), null);
        if (token.Length == 0 || token.Contains('/', StringComparison.Ordinal)) return (new FakeApnsAnswer(404, "BadPath"), null);
        long? issuedAt = null;
        if (_publicKey is not null)
        {
            if (authorization is null || !authorization.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase)) return (new FakeApnsAnswer(403, "MissingProviderToken"), null);
            var jwt = authorization["bearer ".Length..];
            var (error, iat) = Verify(jwt);
            if (error is not null) return (new FakeApnsAnswer(403, error), iat);
            issuedAt = iat;
        }
        else if (request.HttpContext.Connection.ClientCertificate is null)
        {
            return (new FakeApnsAnswer(403, "MissingProviderToken"), null);
        }
        var topic = request.Headers["apns-topic"].ToString();
        if (topic.Length == 0) return (new FakeApnsAnswer(400, "MissingTopic"), issuedAt);
        if (topic != Topic) return (new FakeApnsAnswer(400, "BadTopic"), issuedAt);
        if (body.Length > 4096) return (new FakeApnsAnswer(413, "PayloadTooLarge"), issuedAt);
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("aps", out var aps) || aps.ValueKind != JsonValueKind.Object)
            {
                return (new FakeApnsAnswer(400, "PayloadEmpty"), issuedAt);
            }
        }
        catch (JsonException)
        {
            return (new FakeApnsAnswer(400, "PayloadEmpty"), issuedAt);
        }
        return (null, issuedAt);
    }

    private (string? Error, long? IssuedAt) Verify(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3) return ("InvalidProviderToken", null);
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var signature = Base64Url.DecodeFromChars(parts[2]);
            long? iat = claims.RootElement.TryGetProperty("iat", out var i) && i.TryGetInt64(out var v) ? v : null;
            if (signature.Length != 64
                || !_publicKey!.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                return ("InvalidProviderToken", iat);
            }
            if (header.RootElement.GetProperty("alg").GetString() != "ES256"
                || header.RootElement.GetProperty("kid").GetString() != KeyId
                || claims.RootElement.GetProperty("iss").GetString() != TeamId
                || iat is null)
            {
                return ("InvalidProviderToken", iat);
            }
            var now = Time.GetUtcNow().ToUnixTimeSeconds();
            if (iat > now + 60) return ("InvalidProviderToken", iat);
            if (now - iat > 3600) return ("ExpiredProviderToken", iat);
            return (null, iat);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return ("InvalidProviderToken", null);
        }
    }

    private sealed class Script(FakeApnsAnswer answer, int times)
    {
        private int _left = times;

        public FakeApnsAnswer Answer { get; } = answer;

        public bool Take() => Interlocked.Decrement(ref _left) >= 0;
    }
}
