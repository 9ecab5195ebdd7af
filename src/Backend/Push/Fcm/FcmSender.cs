using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Push.Fcm;

/// <summary>FCM HTTP v1 (<c>fcm://TOKEN</c>, also <c>gcm://</c>, <c>android://</c>): a message per registration token,
/// POSTed to <c>/v1/projects/PROJECT/messages:send</c> with an OAuth2 access token of the <c>-fcm-key</c> service
/// account (<see cref="FcmAccessTokens"/>), over one HTTP/2 connection.</summary>
/// <remarks>
/// Outcomes: 200 sent. 404 or <c>UNREGISTERED</c>: the app was uninstalled or the token expired, the device is dead.
/// 400 <c>INVALID_ARGUMENT</c> about the registration token: a token FCM will never take, dead; another 400 (the
/// message itself) failed. 401: the access token was refused (revoked): it is renewed and the send tried once more
/// right away, a second 401 fails. 403 <c>SENDER_ID_MISMATCH</c>: FCM documents it as a token bound to another
/// sender (another Firebase project), so this project can never reach it: dead, as the Firebase Admin SDKs' guidance
/// for removing stale tokens treats a token that cannot be used; the cost is that pointing -fcm-key at another project
/// by mistake removes the devices it is sent to (a wrong project id or a key without permission is 403
/// <c>PERMISSION_DENIED</c> instead, which only fails). 429 <c>QUOTA_EXCEEDED</c>, 5xx (<c>UNAVAILABLE</c>,
/// <c>INTERNAL</c>), a timeout or a network error: later, with the <c>Retry-After</c> FCM gave.
/// The legacy GCM API (<c>-gcm-key</c>) is shut down: the key is logged as retired and never used.
/// </remarks>
internal sealed partial class FcmSender : IPushSender, IDisposable
{
    private const string DefaultHost = "https://fcm.googleapis.com";
    private const int MaxTokenLength = 4096;

    private readonly FcmServiceAccount? _account;
    private readonly FcmAccessTokens? _tokens;
    private readonly HttpClient? _client;
    private readonly Uri? _sendUri;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FcmSender(IOptions<FcmOptions> fcm, IOptions<PushOptions> push, TimeProvider time, ILogger<FcmSender> logger)
        : this((fcm ?? throw new ArgumentNullException(nameof(fcm))).Value, (push ?? throw new ArgumentNullException(nameof(push))).Value, time, logger)
    {
    }

    internal FcmSender(FcmOptions fcm, PushOptions push, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(fcm);
        ArgumentNullException.ThrowIfNull(push);
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        if (!string.IsNullOrEmpty(fcm.GcmKey)) LogGcmRetired(_logger);
        if (string.IsNullOrEmpty(fcm.Key)) return;
        _account = FcmServiceAccount.Load(fcm.Key);
        try
        {
            var project = string.IsNullOrEmpty(fcm.Project) ? _account.ProjectId : fcm.Project;
            if (string.IsNullOrEmpty(project))
                throw new Configuration.ConfigException($"invalid -fcm-key {fcm.Key}: no \"project_id\" in it; give -fcm-project");
            var host = string.IsNullOrEmpty(fcm.Host) ? DefaultHost : fcm.Host.TrimEnd('/');
            if (!Uri.TryCreate(host + "/v1/projects/" + Uri.EscapeDataString(project) + "/messages:send", UriKind.Absolute, out var sendUri))
                throw new Configuration.ConfigException($"invalid -fcm-host {fcm.Host}: not an absolute URL");
            _sendUri = sendUri;
            Project = project;
            _client = PushHttp.CreateClient(PushHttp.CreateHandler(push), push);
            _tokens = new FcmAccessTokens(_account, _client, time, logger);
        }
        catch
        {
            _account.Dispose();
            throw;
        }
    }

    public string Service => PushDevice.Fcm;

    public bool Enabled => _tokens is not null;

    /// <summary>The Firebase project sends go to (null when not enabled).</summary>
    internal string? Project { get; }

    /// <summary>The access tokens (null when not enabled), for tests.</summary>
    internal FcmAccessTokens? Tokens => _tokens;

    public string? CheckToken(string token)
    {
        if (string.IsNullOrEmpty(token)) return "an FCM registration token is not empty";
        if (token.Length > MaxTokenLength) return "an FCM registration token is at most 4096 characters";
        foreach (var c in token)
        {
            if (c is <= ' ' or > '~') return "an FCM registration token is printable ASCII without spaces";
        }
        return null;
    }

    public async Task<PushResult> SendAsync(string token, PushMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_tokens is null || _client is null || _sendUri is null) return PushResult.Fail("not configured");
        if (CheckToken(token) is { } bad) return PushResult.Fail(bad);
        var body = Encoding.UTF8.GetBytes(CreateBody(token, message).ToJsonString());
        for (var attempt = 0; ; attempt++)
        {
            var access = await _tokens.GetAsync(cancellationToken);
            if (access.Failure is { } failure) return failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _sendUri);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access.Token);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
                using var response = await _client.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return PushResult.Sent;
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                var error = FcmError.Parse(text);
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
                {
                    // The access token was revoked (or expired early): a new one, and this send once more.
                    _tokens.Invalidate(access.Token!);
                    continue;
                }
                var result = Classify(response.StatusCode, error, PushHttp.RetryAfter(response.Headers, _time.GetUtcNow()));
                if (result.Outcome == PushOutcome.Failed) LogRefused(_logger, (int)response.StatusCode, result.Reason ?? "", error.Message ?? "");
                return result;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return PushResult.Retry("timeout");
            }
            catch (HttpRequestException ex)
            {
                return PushResult.Retry("network: " + ex.Message);
            }
        }
    }

    /// <summary>What an FCM answer other than 200 means for the device (see the remarks of <see cref="FcmSender"/>).</summary>
    internal static PushResult Classify(HttpStatusCode status, FcmError error, TimeSpan? retryAfter)
    {
        var code = (int)status;
        var reason = error.ErrorCode ?? error.Status ?? "HTTP " + code.ToString(CultureInfo.InvariantCulture);
        if (error.ErrorCode == "UNREGISTERED" || status == HttpStatusCode.NotFound) return PushResult.Dead(reason);
        if (error.ErrorCode == "SENDER_ID_MISMATCH") return PushResult.Dead(reason);
        if (status == HttpStatusCode.BadRequest)
        {
            var aboutToken = (error.ErrorCode ?? error.Status) == "INVALID_ARGUMENT"
                && error.Message is { } m && m.Contains("registration token", StringComparison.OrdinalIgnoreCase);
            return aboutToken ? PushResult.Dead(reason) : PushResult.Fail(reason);
        }
        if (code == 429 || code >= 500) return PushResult.Retry(reason, retryAfter);
        return PushResult.Fail(reason);
    }

    /// <summary>The v1 request body: <c>notification</c> (and the Android and APNs alert parts) only when there is text,
    /// so a message without text stays a data message the app handles itself.</summary>
    internal static JsonObject CreateBody(string token, PushMessage message)
    {
        var m = new JsonObject { ["token"] = token };
        var hasText = !string.IsNullOrEmpty(message.Text) || !string.IsNullOrEmpty(message.Title);
        if (hasText)
        {
            var notification = new JsonObject();
            if (!string.IsNullOrEmpty(message.Title)) notification["title"] = message.Title;
            if (!string.IsNullOrEmpty(message.Text)) notification["body"] = message.Text;
            m["notification"] = notification;
        }
        if (message.Data is { Count: > 0 } data)
        {
            var d = new JsonObject();
            foreach (var (key, value) in data) d[key] = value;
            m["data"] = d;
        }
        if (hasText && (message.Sound is not null || message.Badge is not null))
        {
            var n = new JsonObject();
            if (message.Sound is not null) n["sound"] = message.Sound;
            if (message.Badge is { } count) n["notification_count"] = count;
            m["android"] = new JsonObject { ["notification"] = n };
        }
        var aps = new JsonObject();
        if (message.Badge is { } badge) aps["badge"] = badge;
        if (hasText && message.Sound is not null) aps["sound"] = message.Sound;
        if (aps.Count > 0) m["apns"] = new JsonObject { ["payload"] = new JsonObject { ["aps"] = aps } };
        return new JsonObject { ["message"] = m };
    }

    public void Dispose()
    {
        _client?.Dispose();
        _account?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GCM is shut down by Google; -gcm-key is not used; give -fcm-key (a service-account key)")]
    private static partial void LogGcmRetired(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FCM refused a message: HTTP {Status} {Reason}: {Message}")]
    private static partial void LogRefused(ILogger logger, int status, string reason, string message);
}

/// <summary>FCM's error JSON: <c>{"error":{"code","message","status","details":[{"@type":"...FcmError","errorCode"}]}}</c>.</summary>
internal readonly record struct FcmError(string? Status, string? Message, string? ErrorCode)
{
    public static FcmError Parse(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("error", out var e) || e.ValueKind != JsonValueKind.Object)
                return default;
            string? Str(JsonElement el, string name) => el.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string? errorCode = null;
            if (e.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var d in details.EnumerateArray())
                {
                    if (d.ValueKind == JsonValueKind.Object && Str(d, "@type") is { } type && type.EndsWith(".FcmError", StringComparison.Ordinal))
                        errorCode = Str(d, "errorCode");
                }
            }
            return new FcmError(Str(e, "status"), Str(e, "message"), errorCode);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
