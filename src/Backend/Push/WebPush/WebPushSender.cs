using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Backend.Configuration;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LibPushMessage = Lib.Net.Http.WebPush.PushMessage;

namespace Backend.Push.WebPush;

/// <summary>Web Push (<c>webpush://SUBSCRIPTION</c>, also <c>web://</c>): RFC 8030 delivery to the subscription's
/// endpoint with VAPID (RFC 8292, <c>-webpush-public-key</c>/<c>-webpush-private-key</c>/<c>-webpush-subject</c>) and
/// the payload encrypted for the browser (RFC 8291, aes128gcm), by Lib.Net.Http.WebPush over one HTTP/2 client.</summary>
/// <remarks>
/// The payload is the JSON <c>{"title":TITLE,"body":TEXT,"badge":N,"data":{...}}</c> (absent parts left out) for the page's
/// service worker to show. <c>TTL</c> is <c>-webpush-ttl</c>; no <c>Urgency</c> header is sent, which is "normal"
/// (RFC 8030 §5.3: a chat message), so the push service may batch delivery on a device saving battery.
/// Outcomes: 200/201/202 sent; 404/410 the subscription is gone (dead); 413 the payload is too large (failed);
/// 429 and 5xx later with their <c>Retry-After</c>; 400/401/403 failed (a bad VAPID key or subject, logged);
/// a timeout or a network error later.
/// Unless <c>-webpush-allow-private</c>, endpoints are refused on loopback, private and link-local addresses: address
/// literals and <c>localhost</c> by <see cref="CheckToken"/>, and names that resolve to such addresses when
/// connecting (the handler's ConnectCallback checks every resolved address), so a subscription cannot make the
/// server call into its own network. (Behind an HTTP proxy from the environment the check sees the proxy's address,
/// not the endpoint's.) <see cref="WebPushHttpHandler"/> corrects the library's VAPID audience on non-default ports
/// and reads each answer whole.
/// </remarks>
internal sealed partial class WebPushSender : IPushSender, IDisposable
{
    private readonly WebPushOptions _options;
    private readonly PushServiceClient? _client;
    private readonly HttpClient? _http;
    private readonly VapidAuthentication? _vapid;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public WebPushSender(IOptions<WebPushOptions> webPush, IOptions<PushOptions> push, TimeProvider time, ILogger<WebPushSender> logger)
        : this((webPush ?? throw new ArgumentNullException(nameof(webPush))).Value, (push ?? throw new ArgumentNullException(nameof(push))).Value, time, logger)
    {
    }

    /// <summary>As the public constructor; <c>resolve</c> replaces the name resolution of the connect check (tests),
    /// <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> by default.</summary>
    internal WebPushSender(WebPushOptions webPush, PushOptions push, TimeProvider time, ILogger logger, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(push);
        _options = webPush ?? throw new ArgumentNullException(nameof(webPush));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if (string.IsNullOrEmpty(webPush.PublicKey) && string.IsNullOrEmpty(webPush.PrivateKey)) return;
        var (publicKey, privateKey) = ValidateKeys(webPush.PublicKey, webPush.PrivateKey);
        ValidateSubject(webPush.Subject);
        var handler = PushHttp.CreateHandler(push);
        if (!webPush.AllowPrivate)
        {
            resolve ??= Dns.GetHostAddressesAsync;
            // Direct, never through an environment proxy: the check below must see the endpoint's own address (through
            // a proxy it would see the proxy's, and the proxy would reach private addresses for us). docs/push.md.
            handler.UseProxy = false;
            handler.ConnectCallback = (context, ct) => ConnectPublicAsync(context.DnsEndPoint, resolve, ct);
        }
        _vapid = new VapidAuthentication(publicKey, privateKey) { Subject = webPush.Subject };
        _http = PushHttp.CreateClient(new WebPushHttpHandler(_vapid, handler), push);
        _client = new PushServiceClient(_http)
        {
            DefaultAuthentication = _vapid,
            DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
            AutoRetryAfter = false,
            DefaultTimeToLive = webPush.Ttl,
        };
    }

    public string Service => PushDevice.WebPush;

    public bool Enabled => _client is not null;

    public string? CheckToken(string token)
    {
        WebPushSubscription.TryParse(token, _options.AllowPrivate, out var error);
        return error;
    }

    public async Task<PushResult> SendAsync(string token, PushMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_client is null) return PushResult.Fail("not configured");
        // The stored token is parsed and checked again: it may predate a change of -webpush-allow-private.
        if (WebPushSubscription.TryParse(token, _options.AllowPrivate, out var error) is not { } subscription) return PushResult.Fail(error!);
        var target = new PushSubscription { Endpoint = subscription.Endpoint.AbsoluteUri };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        var payload = new LibPushMessage(CreatePayload(message).ToJsonString())
        {
            TimeToLive = _options.Ttl,
            Urgency = PushMessageUrgency.Normal,
        };
        try
        {
            await _client.RequestPushMessageDeliveryAsync(target, payload, cancellationToken);
            return PushResult.Sent;
        }
        catch (PushServiceClientException ex)
        {
            var retryAfter = ex.Headers is { } headers ? PushHttp.RetryAfter(headers, _time.GetUtcNow()) : null;
            var result = Classify(ex.StatusCode, retryAfter);
            if (result.Outcome == PushOutcome.Failed)
            {
                var host = subscription.Endpoint.Host;
                if (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    LogVapidRefused(_logger, host, (int)ex.StatusCode, ex.Body ?? ex.Message);
                else LogRefused(_logger, host, (int)ex.StatusCode, ex.Body ?? ex.Message);
            }
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PushResult.Retry("timeout");
        }
        catch (HttpRequestException ex) when (Find<PrivateAddressException>(ex) is { } refused)
        {
            return PushResult.Fail(refused.Message);
        }
        catch (HttpRequestException ex)
        {
            return PushResult.Retry("network: " + ex.Message);
        }
    }

    /// <summary>What a push service's answer other than success means (see the remarks of <see cref="WebPushSender"/>).</summary>
    internal static PushResult Classify(HttpStatusCode status, TimeSpan? retryAfter)
    {
        var code = (int)status;
        var reason = "HTTP " + code.ToString(CultureInfo.InvariantCulture);
        return code switch
        {
            200 or 201 or 202 => PushResult.Sent,
            404 or 410 => PushResult.Dead(reason),
            429 or >= 500 => PushResult.Retry(reason, retryAfter),
            _ => PushResult.Fail(reason),
        };
    }

    /// <summary>The JSON the browser's service worker receives (decrypted).</summary>
    internal static JsonObject CreatePayload(PushMessage message)
    {
        var payload = new JsonObject();
        if (message.Title is not null) payload["title"] = message.Title;
        if (message.Text is not null) payload["body"] = message.Text;
        if (message.Badge is { } badge) payload["badge"] = badge;
        if (message.Data is { Count: > 0 } data)
        {
            var d = new JsonObject();
            foreach (var (key, value) in data) d[key] = value;
            payload["data"] = d;
        }
        return payload;
    }

    /// <summary>Checks the VAPID pair: base64url, a 65-byte P-256 public point, a 32-byte private scalar, and the
    /// public key the private one's. Returns them unpadded.</summary>
    internal static (string PublicKey, string PrivateKey) ValidateKeys(string publicKey, string privateKey)
    {
        if (string.IsNullOrEmpty(publicKey)) throw new ConfigException("-webpush-public-key is required with -webpush-private-key (bkcs webpush-keys makes a pair)");
        if (string.IsNullOrEmpty(privateKey)) throw new ConfigException("-webpush-private-key is required with -webpush-public-key (bkcs webpush-keys makes a pair)");
        if (!WebPushSubscription.TryDecode(publicKey, out var q) || !WebPushSubscription.IsP256Point(q))
            throw new ConfigException("invalid -webpush-public-key: not a base64url P-256 public key (65 bytes, uncompressed)");
        if (!WebPushSubscription.TryDecode(privateKey, out var d) || d.Length != 32)
            throw new ConfigException("invalid -webpush-private-key: not a base64url P-256 private key (32 bytes)");
        try
        {
            using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            var derived = ec.ExportParameters(false).Q;
            if (!derived.X.AsSpan().SequenceEqual(q.AsSpan(1, 32)) || !derived.Y.AsSpan().SequenceEqual(q.AsSpan(33, 32)))
                throw new ConfigException("invalid -webpush-private-key: it is not the private key of -webpush-public-key");
        }
        catch (CryptographicException ex)
        {
            throw new ConfigException("invalid -webpush-private-key: not a P-256 private key (" + ex.Message + ")");
        }
        return (System.Buffers.Text.Base64Url.EncodeToString(q), System.Buffers.Text.Base64Url.EncodeToString(d));
    }

    /// <summary>The VAPID subject is required (Apple's and Mozilla's push services refuse a JWT without one): a
    /// <c>mailto:</c> address or an https URL.</summary>
    internal static void ValidateSubject(string subject)
    {
        if (string.IsNullOrEmpty(subject)) throw new ConfigException("-webpush-subject is required with the VAPID keys: mailto:ADDRESS or an https URL");
        var ok = subject.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)
            ? subject.Length > 7 && subject.Contains('@', StringComparison.Ordinal)
            : Uri.TryCreate(subject, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;
        if (!ok) throw new ConfigException($"invalid -webpush-subject {subject}: mailto:ADDRESS or an https URL");
    }

    /// <summary>Connects to the first resolved address of <paramref name="endpoint"/> that is not private; refuses
    /// (<see cref="PrivateAddressException"/>) when it resolves to private addresses only.</summary>
    internal static async ValueTask<Stream> ConnectPublicAsync(DnsEndPoint endpoint, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await resolve(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => !WebPushSubscription.IsPrivateAddress(a)).ToArray();
        if (allowed.Length == 0) throw new PrivateAddressException($"the Web Push endpoint {endpoint.Host} resolves to a loopback or private address, refused (-webpush-allow-private)");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found) return found;
        }
        return null;
    }

    public void Dispose()
    {
        _vapid?.Dispose();
        _http?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Web Push: {Host} refused the VAPID authentication (HTTP {Status}: {Body}); check -webpush-public-key, -webpush-private-key and -webpush-subject")]
    private static partial void LogVapidRefused(ILogger logger, string host, int status, string body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web Push: {Host} refused a notification (HTTP {Status}: {Body})")]
    private static partial void LogRefused(ILogger logger, string host, int status, string body);
}

/// <summary>A Web Push endpoint's name resolved to loopback/private addresses only, and private endpoints are not
/// allowed.</summary>
internal sealed class PrivateAddressException : IOException
{
    public PrivateAddressException(string message)
        : base(message)
    {
    }
}
