using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Backend.Push.Fcm;

/// <summary>OAuth2 access tokens for FCM from a service account (RFC 7523 JWT bearer grant): a JWT signed RS256 with
/// the account's key is exchanged at its <c>token_uri</c> for an access token, which is cached and renewed a few
/// minutes before it expires. One renewal at a time: concurrent sends that need a token await the same request.</summary>
internal sealed partial class FcmAccessTokens
{
    /// <summary>The OAuth2 scope of the FCM HTTP v1 API.</summary>
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    /// <summary>How long before its expiry a token is renewed (at most half its lifetime).</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan ErrorLogInterval = TimeSpan.FromMinutes(1);

    private readonly FcmServiceAccount _account;
    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private string? _token;
    private DateTimeOffset _renewAt;
    private Task<Result>? _refresh;
    private DateTimeOffset _lastErrorLog = DateTimeOffset.MinValue;
    private int _requests;

    public FcmAccessTokens(FcmServiceAccount account, HttpClient client, TimeProvider time, ILogger logger)
    {
        _account = account;
        _client = client;
        _time = time;
        _logger = logger;
    }

    /// <summary>A token, or the failure of the token endpoint as the send's result.</summary>
    public readonly record struct Result(string? Token, PushResult? Failure);

    /// <summary>Token requests made so far (for tests and metrics).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The cached token while it is fresh, else the result of one shared renewal.</summary>
    public Task<Result> GetAsync(CancellationToken cancellationToken)
    {
        Task<Result> refresh;
        lock (_lock)
        {
            if (_token is not null && _time.GetUtcNow() < _renewAt) return Task.FromResult(new Result(_token, null));
            if (_refresh is null || _refresh.IsCompleted) _refresh = RefreshAsync();
            refresh = _refresh;
        }
        // The renewal is shared: one caller giving up does not cancel it for the others.
        return refresh.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets <paramref name="token"/> when it is still the cached one (FCM refused it: revoked), so the next
    /// <see cref="GetAsync"/> renews; sends that saw the same refusal share that one renewal.</summary>
    public void Invalidate(string token)
    {
        lock (_lock)
        {
            if (_token == token) _token = null;
        }
    }

    private async Task<Result> RefreshAsync()
    {
        await Task.Yield();
        Interlocked.Increment(ref _requests);
        var now = _time.GetUtcNow();
        try
        {
            using var content = new FormUrlEncodedContent(
            [
                new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                new("assertion", CreateAssertion(now)),
            ]);
            using var response = await _client.PostAsync(_account.TokenUri, content, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            if (response.StatusCode == HttpStatusCode.OK && ParseToken(body) is ({ } token, var expiresIn))
            {
                var lifetime = TimeSpan.FromSeconds(Math.Max(expiresIn, 1));
                var margin = lifetime / 2 < RenewBefore ? lifetime / 2 : RenewBefore;
                lock (_lock)
                {
                    _token = token;
                    _renewAt = now + lifetime - margin;
                }
                return new Result(token, null);
            }
            var (error, description) = ParseError(body);
            var code = (int)response.StatusCode;
            var reason = "token " + (error ?? "HTTP " + code.ToString(CultureInfo.InvariantCulture));
            if (code == 429 || code >= 500)
            {
                LogError(error ?? "HTTP " + code.ToString(CultureInfo.InvariantCulture), description, retried: true);
                return new Result(null, PushResult.Retry(reason, PushHttp.RetryAfter(response.Headers, _time.GetUtcNow())));
            }
            // 400 invalid_grant: the key was revoked or deleted, or is not this account's; 401: the client is unknown.
            LogError(error ?? "HTTP " + code.ToString(CultureInfo.InvariantCulture), description, retried: false);
            return new Result(null, PushResult.Fail(reason));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            var reason = ex is OperationCanceledException ? "token timeout" : "token network: " + ex.Message;
            LogError(reason, _account.TokenUri.ToString(), retried: true);
            return new Result(null, PushResult.Retry(reason));
        }
    }

    private void LogError(string error, string? description, bool retried)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (now - _lastErrorLog < ErrorLogInterval) return;
            _lastErrorLog = now;
        }
        if (retried) LogTokenUnavailable(_logger, _account.ClientEmail, error, description ?? "");
        else LogTokenRefused(_logger, _account.ClientEmail, error, description ?? "");
    }

    /// <summary>The signed JWT of the grant: RS256 with the account's key, for the FCM scope, valid one hour.</summary>
    internal string CreateAssertion(DateTimeOffset now)
    {
        var iat = now.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = _account.KeyId });
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = _account.ClientEmail,
            ["scope"] = Scope,
            ["aud"] = _account.TokenUri.ToString(),
            ["iat"] = iat,
            ["exp"] = iat + 3600,
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        var signature = _account.Key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static (string? Token, long ExpiresIn) ParseToken(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, 0);
            var token = root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var expires = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n : 3600;
            return (string.IsNullOrEmpty(token) ? null : token, expires);
        }
        catch (JsonException)
        {
            return (null, 0);
        }
    }

    private static (string? Error, string? Description) ParseError(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            var description = root.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return (error, description);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "FCM: the service account {Account} was refused an access token: {Error} {Description}; a revoked, deleted or wrong key in -fcm-key (invalid_grant) fails every send until a valid key is given (logged at most once a minute)")]
    private static partial void LogTokenRefused(ILogger logger, string account, string error, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "FCM: no access token for {Account} for now: {Error} {Description}; sends are retried (logged at most once a minute)")]
    private static partial void LogTokenUnavailable(ILogger logger, string account, string error, string description);
}
