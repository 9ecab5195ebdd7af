using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Backend.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Push.Apns;

/// <summary>Apple Push Notification service over HTTP/2 (<c>POST /3/device/TOKEN</c>), every send multiplexed over
/// one connection. Token auth (<c>-apn-key</c>, <c>-apn-key-id</c>, <c>-apn-team-id</c>, <c>-apn-topic</c>): an ES256
/// provider token, renewed every 50 minutes. Certificate auth (the reference's <c>-apn-cert</c>, PKCS#12 or PEM with
/// <c>-apn-passphrase</c>): the certificate is the TLS client certificate and the topic defaults to its subject's UID
/// (the bundle id in Apple's certificates). Enabled when either is given; a bad key, certificate or missing parameter
/// is a <see cref="ConfigException"/> from the constructor.</summary>
internal sealed partial class ApnsSender : IPushSender, IDisposable
{
    /// <summary>Apple's production host.</summary>
    public const string ProductionHost = "https://api.push.apple.com";

    /// <summary>Apple's development (sandbox) host, the reference's default.</summary>
    public const string SandboxHost = "https://api.sandbox.push.apple.com";

    private const string UidOid = "0.9.2342.19200300.100.1.1";
    private static readonly TimeSpan InvalidKeyLogInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Expiration = TimeSpan.FromDays(1);

    private readonly HttpClient? _client;
    private readonly ApnsJwt? _jwt;
    private readonly X509Certificate2? _certificate;
    private readonly string _deviceUrl = "";
    private readonly string _topic = "";
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _invalidKeyLoggedAt = long.MinValue;

    public ApnsSender(IOptions<ApnsOptions> apns, IOptions<PushOptions> push, TimeProvider time, ILogger<ApnsSender> logger)
        : this(apns?.Value!, push?.Value!, time, logger, handler: null)
    {
    }

    /// <summary>As the public constructor; <paramref name="handler"/>, when given, replaces the HTTP/2 handler of
    /// <see cref="PushHttp.CreateHandler"/> (the client certificate of certificate auth is then the handler's
    /// business).</summary>
    internal ApnsSender(ApnsOptions apns, PushOptions push, TimeProvider time, ILogger logger, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(apns);
        ArgumentNullException.ThrowIfNull(push);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _time = time;
        _logger = logger;
        if (string.IsNullOrWhiteSpace(apns.Key) && string.IsNullOrWhiteSpace(apns.Cert)) return;

        var host = string.IsNullOrWhiteSpace(apns.Host) ? (apns.Production ? ProductionHost : SandboxHost) : apns.Host.Trim();
        if (!Uri.TryCreate(host, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ConfigException($"invalid -apn-host {host}: an absolute https URL, for example https://api.push.apple.com");
        }
        _deviceUrl = baseUri.GetLeftPart(UriPartial.Authority) + baseUri.AbsolutePath.TrimEnd('/') + "/3/device/";

        try
        {
            if (!string.IsNullOrWhiteSpace(apns.Key))
            {
                if (string.IsNullOrWhiteSpace(apns.Topic)) throw new ConfigException("-apn-topic is required with -apn-key (the app's bundle id)");
                _topic = apns.Topic.Trim();
                _jwt = ApnsJwt.Load(apns.Key, apns.KeyId, apns.TeamId, time);
                if (!string.IsNullOrWhiteSpace(apns.Cert)) LogCertIgnored(_logger);
            }
            else
            {
                _certificate = LoadCertificate(apns.Cert, apns.Passphrase);
                _topic = string.IsNullOrWhiteSpace(apns.Topic) ? TopicOf(_certificate) ?? "" : apns.Topic.Trim();
                if (_topic.Length == 0) throw new ConfigException($"-apn-topic is required: the certificate of -apn-cert {apns.Cert} has no UID (bundle id) in its subject");
            }
            _client = PushHttp.CreateClient(handler ?? PushHttp.CreateHandler(push, _certificate), push);
        }
        catch
        {
            _jwt?.Dispose();
            _certificate?.Dispose();
            throw;
        }
        Enabled = true;
    }

    public string Service => PushDevice.Apple;

    public bool Enabled { get; }

    /// <summary>The <c>apns-topic</c> sent (the bundle id), empty when not enabled.</summary>
    internal string Topic => _topic;

    /// <summary>The URL a token is appended to (<c>https://HOST/3/device/</c>), empty when not enabled.</summary>
    internal string DeviceUrl => _deviceUrl;

    public string? CheckToken(string token)
    {
        if (token is null || token.Length < 64 || token.Length > 200) return "an APNs device token is hex digits (64 to 200)";
        foreach (var c in token)
        {
            if (!char.IsAsciiHexDigit(c)) return "an APNs device token is hex digits (64 to 200)";
        }
        return null;
    }

    public async Task<PushResult> SendAsync(string token, PushMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        cancellationToken.ThrowIfCancellationRequested();
        if (_client is null) return PushResult.Fail("not configured");
        // Never put something that is not a token in the path; APNs would answer BadDeviceToken.
        if (CheckToken(token) is not null) return PushResult.Dead("BadDeviceToken");
        var payload = ApnsPayload.Build(message);
        if (payload is null) return PushResult.Fail("PayloadTooLarge");

        var alert = ApnsPayload.IsAlert(message);
        var now = _time.GetUtcNow();
        string? authorization = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, _deviceUrl + token)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(payload),
        };
        var headers = request.Headers;
        if (_jwt is not null)
        {
            authorization = _jwt.Authorization;
            headers.TryAddWithoutValidation("authorization", authorization);
        }
        headers.TryAddWithoutValidation("apns-topic", _topic);
        headers.TryAddWithoutValidation("apns-push-type", alert ? "alert" : "background");
        headers.TryAddWithoutValidation("apns-priority", alert ? "10" : "5");
        headers.TryAddWithoutValidation("apns-expiration", (now + Expiration).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/json");

        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (status == 200) return PushResult.Sent;
            var reason = await ReadReason(response, cancellationToken) ?? string.Create(CultureInfo.InvariantCulture, $"HTTP {status}");
            return Outcome(status, reason, response, authorization);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PushResult.Retry("timeout");
        }
        catch (HttpRequestException ex)
        {
            return PushResult.Retry("connection: " + ex.Message);
        }
        catch (IOException ex)
        {
            return PushResult.Retry("connection: " + ex.Message);
        }
    }

    private PushResult Outcome(int status, string reason, HttpResponseMessage response, string? authorization)
    {
        switch (status)
        {
            case 410:
                return PushResult.Dead(reason);
            case 400 when reason is "BadDeviceToken" or "DeviceTokenNotForTopic":
                return PushResult.Dead(reason);
            case 403 when reason == "ExpiredProviderToken" && _jwt is not null && authorization is not null:
                _jwt.Expire(authorization);
                return PushResult.Retry(reason);
            case 403 when reason == "InvalidProviderToken":
                var now = _time.GetTimestamp();
                var last = Interlocked.Read(ref _invalidKeyLoggedAt);
                if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= InvalidKeyLogInterval)
                    && Interlocked.CompareExchange(ref _invalidKeyLoggedAt, now, last) == last)
                {
                    LogInvalidKey(_logger);
                }
                return PushResult.Fail(reason);
            case 429:
            case >= 500:
                return PushResult.Retry(reason, PushHttp.RetryAfter(response.Headers, _time.GetUtcNow()));
            default:
                return PushResult.Fail(reason);
        }
    }

    // APNs explains an error as {"reason":"BadDeviceToken"} (and a timestamp for 410).
    private static async Task<string?> ReadReason(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0 || body.Length > 16_384) return null;
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("reason", out var reason)
                && reason.ValueKind == JsonValueKind.String
                && reason.GetString() is { Length: > 0 } text
                ? text
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static X509Certificate2 LoadCertificate(string path, string passphrase)
    {
        X509Certificate2 certificate;
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (LooksLikePem(bytes))
            {
                using var pem = string.IsNullOrEmpty(passphrase)
                    ? X509Certificate2.CreateFromPemFile(path)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, passphrase);
                if (!pem.HasPrivateKey) throw new ConfigException($"invalid -apn-cert {path}: no private key with the certificate");
                // Re-imported from PKCS#12: a key imported from PEM is ephemeral, which TLS may refuse.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, string.IsNullOrEmpty(passphrase) ? null : passphrase);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"invalid -apn-cert {path}: {ex.Message} (a PKCS#12 file, or a PEM file with the certificate and its key; -apn-passphrase if encrypted)", ex);
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ConfigException($"invalid -apn-cert {path}: no private key with the certificate");
        }
        return certificate;
    }

    private static bool LooksLikePem(byte[] bytes) =>
        bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    /// <summary>The UID of the certificate's subject: Apple's push certificates carry the bundle id there.</summary>
    internal static string? TopicOf(X509Certificate2 certificate)
    {
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements) continue;
            if (rdn.GetSingleElementType().Value == UidOid && rdn.GetSingleElementValue() is { Length: > 0 } uid) return uid.Trim();
        }
        return null;
    }

    public void Dispose()
    {
        _client?.Dispose();
        _jwt?.Dispose();
        _certificate?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "APNs refuses the provider token (InvalidProviderToken): check -apn-key, -apn-key-id and -apn-team-id; notifications to Apple devices fail until it is fixed (logged at most once a minute)")]
    private static partial void LogInvalidKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "-apn-cert is ignored: -apn-key (token auth) is given too")]
    private static partial void LogCertIgnored(ILogger logger);
}
