using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Backend.Tests.Push.Fcm;

/// <summary>A local FCM HTTP v1 with its OAuth2 token endpoint, on <see cref="PushTestServer"/> (HTTP/2 and 1.1):
/// <c>POST /token</c> checks the JWT bearer grant (RS256 signature with the service account's public key, iss, aud,
/// scope, iat/exp, grant_type) and issues random access tokens valid <see cref="ExpiresIn"/> seconds;
/// <c>POST /v1/projects/PROJECT/messages:send</c> checks the bearer token (401 UNAUTHENTICATED when unknown, expired
/// or revoked), the project and the body, answers as FCM does, and records the messages it accepted.</summary>
internal sealed class FakeFcm : IAsyncDisposable
{
    private readonly RSA _accountKey;
    private readonly string _clientEmail;
    private readonly string _project;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _accessTokens = new();
    private PushTestServer? _server;
    private int _tokenRequests;
    private int _refusedBearers;

    public FakeFcm(RSA accountPublicKey, string clientEmail, string project, TimeProvider time)
    {
        _accountKey = accountPublicKey;
        _clientEmail = clientEmail;
        _project = project;
        _time = time;
    }

    /// <summary>https://127.0.0.1:PORT.</summary>
    public Uri BaseUrl => _server!.BaseUrl;

    /// <summary>The token endpoint (a service account's <c>token_uri</c>).</summary>
    public Uri TokenUri => new(BaseUrl, "/token");

    /// <summary>The <c>expires_in</c> of the tokens issued.</summary>
    public int ExpiresIn { get; set; } = 3600;

    /// <summary>When set, token requests wait for it before they are answered.</summary>
    public TaskCompletionSource? TokenGate { get; set; }

    /// <summary>Token requests received (valid or not).</summary>
    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Sends refused with 401 because of their bearer token.</summary>
    public int RefusedBearers => Volatile.Read(ref _refusedBearers);

    /// <summary>The grant errors answered (invalid_grant and why).</summary>
    public ConcurrentQueue<string> GrantErrors { get; } = new();

    /// <summary>The accepted messages (the request bodies) with the bearer token each came with.</summary>
    public ConcurrentQueue<(JsonObject Body, string Bearer)> Messages { get; } = new();

    /// <summary>Registration tokens FCM no longer knows (404 UNREGISTERED).</summary>
    public ConcurrentDictionary<string, bool> Unregistered { get; } = new();

    /// <summary>When it returns an answer for a send (status, error status, errorCode, Retry-After, message), that is sent
    /// instead of accepting it; <c>"hang"</c> as the status text holds the request until the client gives up.</summary>
    public Func<JsonObject, (int Status, string ErrorStatus, string? ErrorCode, string? RetryAfter, string Message)?>? Script { get; set; }

    public async Task<FakeFcm> StartAsync(PushTestCertificates certificates)
    {
        _server = await PushTestServer.StartAsync(certificates, HandleAsync, HttpProtocols.Http1AndHttp2);
        return this;
    }

    /// <summary>Revokes every access token issued so far (as revoking the key's tokens does).</summary>
    public void RevokeAll() => _accessTokens.Clear();

    private Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method == "POST" && context.Request.Path == "/token") return TokenAsync(context);
        if (context.Request.Method == "POST" && context.Request.Path.StartsWithSegments("/v1/projects", out var rest)) return SendAsync(context, rest.Value!);
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private async Task TokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        if (TokenGate is { } gate) await gate.Task.WaitAsync(context.RequestAborted);
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var why = CheckGrant(form["grant_type"].ToString(), form["assertion"].ToString());
        if (why is not null)
        {
            GrantErrors.Enqueue(why);
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_grant", error_description = why }, context.RequestAborted);
            return;
        }
        var token = "ya29.fake-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        _accessTokens[token] = _time.GetUtcNow().AddSeconds(ExpiresIn);
        await context.Response.WriteAsJsonAsync(new { access_token = token, expires_in = ExpiresIn, token_type = "Bearer" }, context.RequestAborted);
    }

    private string? CheckGrant(string grantType, string assertion)
    {
        if (grantType != "urn:ietf:params:oauth:grant-type:jwt-bearer") return "grant_type " + grantType;
        var parts = assertion.Split('.');
        if (parts.Length != 3) return "not a JWT";
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256" || header.RootElement.GetProperty("typ").GetString() != "JWT")
            return "header " + Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));
        if (!header.RootElement.TryGetProperty("kid", out var kid) || string.IsNullOrEmpty(kid.GetString())) return "no kid";
        if (!_accountKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return "Invalid JWT Signature.";
        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var c = claims.RootElement;
        if (c.GetProperty("iss").GetString() != _clientEmail) return "iss";
        if (c.GetProperty("aud").GetString() != TokenUri.ToString()) return "aud " + c.GetProperty("aud").GetString();
        if (c.GetProperty("scope").GetString() != "https://www.googleapis.com/auth/firebase.messaging") return "scope";
        var iat = c.GetProperty("iat").GetInt64();
        var exp = c.GetProperty("exp").GetInt64();
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (exp <= now || iat > now + 60 || exp - iat > 3600) return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.";
        return null;
    }

    private async Task SendAsync(HttpContext context, string rest)
    {
        var auth = context.Request.Headers.Authorization.ToString();
        var bearer = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : "";
        if (!_accessTokens.TryGetValue(bearer, out var expires) || expires <= _time.GetUtcNow())
        {
            Interlocked.Increment(ref _refusedBearers);
            await ErrorAsync(context, 401, "UNAUTHENTICATED", null, "Request had invalid authentication credentials.");
            return;
        }
        if (rest != "/" + _project + "/messages:send")
        {
            await ErrorAsync(context, 403, "PERMISSION_DENIED", null, "Permission denied on resource project.");
            return;
        }
        if (!context.Request.ContentType!.StartsWith("application/json", StringComparison.Ordinal))
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", null, "content type");
            return;
        }
        var body = (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))!.AsObject();
        var message = body["message"]?.AsObject();
        var token = message?["token"]?.GetValue<string>();
        if (message is null || string.IsNullOrEmpty(token) || message["notification"] is JsonObject { } n && n["body"] is null)
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", null, "Invalid JSON payload received.");
            return;
        }
        if (Script?.Invoke(body) is { } answer)
        {
            if (answer.ErrorStatus == "hang")
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return;
            }
            if (answer.RetryAfter is not null) context.Response.Headers.RetryAfter = answer.RetryAfter;
            await ErrorAsync(context, answer.Status, answer.ErrorStatus, answer.ErrorCode, answer.Message);
            return;
        }
        if (Unregistered.ContainsKey(token))
        {
            await ErrorAsync(context, 404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.");
            return;
        }
        Messages.Enqueue((body, bearer));
        await context.Response.WriteAsJsonAsync(new { name = $"projects/{_project}/messages/0:{Messages.Count}" }, context.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext context, int status, string errorStatus, string? errorCode, string message)
    {
        context.Response.StatusCode = status;
        var error = new JsonObject { ["code"] = status, ["message"] = message, ["status"] = errorStatus };
        if (errorCode is not null)
            error["details"] = new JsonArray(new JsonObject { ["@type"] = "type.googleapis.com/google.firebase.fcm.v1.FcmError", ["errorCode"] = errorCode });
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["error"] = error }.ToJsonString(), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        TokenGate?.TrySetCanceled();
        if (_server is not null) await _server.DisposeAsync();
    }
}
