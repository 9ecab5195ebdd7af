using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Backend.Cache;
using Backend.Data;
using Backend.Http;
using Backend.Http.WebSockets;
using Backend.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Backend.Auth;

/// <summary>Verifies a request's signature (header, query parameter or session cookie) against its account.</summary>
internal sealed class RequestAuthenticator(Db db, ISessionStore sessions, TimeProvider time, IOptions<AuthOptions> options)
{
    private readonly AuthOptions _options = options.Value;

    /// <summary>Header and query parameter name of the signature.</summary>
    public const string SignatureName = "bk-signature";

    /// <summary>The error of a request only a session cookie could authenticate while the shared cache is down.</summary>
    public const string SessionsUnavailable = "Sessions unavailable";

    private static readonly ConcurrentDictionary<string, Regex?> AclCache = new(StringComparer.Ordinal);

    // normalizedPath: the path as access rules see it (AccessRules.Normalize), for the account ACLs.
    internal async ValueTask<ApiStatus> AuthenticateAsync(HttpContext context, ApiRequest api, RequestBody.Parsed body, string normalizedPath)
    {
        var request = context.Request;
        var fromSession = false;
        string? text = request.Headers[SignatureName];
        if (string.IsNullOrEmpty(text)) text = request.Query[SignatureName];
        if (string.IsNullOrEmpty(text) && context.Features.Get<WebSocketIdentity>() is { } socket)
            return await AuthenticateSocketAsync(context, api, socket, normalizedPath);
        if (string.IsNullOrEmpty(text) && !_options.NoSession && request.Cookies[SessionStore.CookieName] is { } cookie)
        {
            try
            {
                text = await sessions.FindAsync(cookie, context.RequestAborted);
            }
            catch (CacheException)
            {
                // The shared session cache is down and only the cookie could authenticate this request: not a 500, and
                // not a 400 that would tell the client its session is gone.
                return new ApiStatus(503, SessionsUnavailable);
            }
            fromSession = text is not null;
        }
        if (string.IsNullOrEmpty(text)) return new ApiStatus(400, "Invalid request: no login provided");
        if (!SignatureHeader.TryParse(text, out var sig)) return new ApiStatus(400, "Invalid request: malformed signature");
        if ((sig.Version == 2) != fromSession) return new ApiStatus(400, "Invalid request: unsupported signature version");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (sig.Expires <= now) return new ApiStatus(406, "Expired request");
        // A leaked signed URL must not work until the secret changes. Session signatures are the server's own, bounded by
        // -api-session-age instead.
        if (!fromSession && sig.Expires - now > _options.SignatureMaxAgeMs)
            return new ApiStatus(406, $"Invalid request: expires is more than {_options.SignatureMaxAgeMs} ms ahead");

        var auth = await db.GetCachedAsync(AuthTables.Auth, new DbRow { ["login"] = sig.Login }, context.RequestAborted);
        if (auth is null) return new ApiStatus(404, "No account record found");
        if (auth.GetLong("expires") is long exp && exp > 0 && exp < now)
            return new ApiStatus(412, "This account has expired");
        if (AclMatch(auth.GetString("acl_deny"), normalizedPath, whenInvalid: true) == true) return new ApiStatus(403, "Access denied");
        if (AclMatch(auth.GetString("acl_allow"), normalizedPath, whenInvalid: false) == false) return new ApiStatus(403, "Not permitted");
        var path = RawPath(context) ?? request.Path.Value ?? "/";

        var secret = auth.GetString("secret") ?? "";
        var host = request.Host.Value ?? "";
        var ok = fromSession
            ? RequestSignature.VerifySession(sig, secret, RequestSignature.DomainName(host))
            : RequestSignature.Verify(sig, secret, SigningRequest.From(request.Method, host, path, RawQuery(request), request.ContentType, body.FormText, sig.Checksum));
        if (!ok && !fromSession && request.Path.Value is { } decoded && decoded != path)
        {
            // Clients that sign the decoded path (ours before this fix, some hand-written ones) get a second try.
            ok = RequestSignature.Verify(sig, secret, SigningRequest.From(request.Method, host, decoded, RawQuery(request), request.ContentType, body.FormText, sig.Checksum));
        }
        if (!ok) return new ApiStatus(401, "Not authenticated");
        // The checksum covers a JSON body (the 2014 format) and, the same way, a multipart body (an extension: the
        // original's clients sign none). A session is a cookie, not a per-request signature: nothing to check.
        if (!fromSession && body.RawBytes is { Length: > 0 } raw)
        {
            if (sig.Checksum.Length > 0)
            {
                if (!RequestSignature.ChecksumEquals(raw, sig.Checksum)) return new ApiStatus(400, "Invalid request: body checksum mismatch");
            }
            else if (_options.RequireChecksum)
            {
                return new ApiStatus(400, "Invalid request: the signature must carry the body's checksum");
            }
        }

        auth.Remove("secret");
        api.Account = auth;
        return ApiStatus.Ok;
    }

    // A message of a WebSocket whose upgrade was signed: the account is re-read (cached) and re-checked on each message,
    // as a session is; the HMAC was verified at the upgrade, the secret must still be the one it was made with.
    private async ValueTask<ApiStatus> AuthenticateSocketAsync(HttpContext context, ApiRequest api, WebSocketIdentity socket, string normalizedPath)
    {
        var auth = await db.GetCachedAsync(AuthTables.Auth, new DbRow { ["login"] = socket.Login }, context.RequestAborted);
        if (auth is null) return new ApiStatus(404, "No account record found");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (auth.GetLong("expires") is long exp && exp > 0 && exp < now)
            return new ApiStatus(412, "This account has expired");
        if (AclMatch(auth.GetString("acl_deny"), normalizedPath, whenInvalid: true) == true) return new ApiStatus(403, "Access denied");
        if (AclMatch(auth.GetString("acl_allow"), normalizedPath, whenInvalid: false) == false) return new ApiStatus(403, "Not permitted");
        if (!CryptographicOperations.FixedTimeEquals(SecretHash(auth.GetString("secret")), socket.SecretHash)) return new ApiStatus(401, "Not authenticated");
        auth.Remove("secret");
        api.Account = auth;
        return ApiStatus.Ok;
    }

    /// <summary>SHA-256 of a secret, kept instead of the secret itself.</summary>
    internal static byte[] SecretHash(string? secret) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret ?? ""));

    /// <summary>Whether a multipart body must be kept whole for its checksum: checksums are required, or the
    /// request's signature carries one.</summary>
    internal bool WantsMultipartBytes(HttpRequest request)
    {
        if (request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) != true) return false;
        if (_options.RequireChecksum) return true;
        string? text = request.Headers[SignatureName];
        if (string.IsNullOrEmpty(text)) text = request.Query[SignatureName];
        return SignatureHeader.TryParse(text, out var sig) && sig.Checksum.Length > 0;
    }

    /// <summary>Starts a cookie session for the authenticated account: a version-2 signature valid for the session age.</summary>
    internal async ValueTask StartSessionAsync(HttpContext context, string login)
    {
        var ageMs = _options.SessionAgeMs;
        // -api-no-session: _session=1 starts nothing (the reply is the account as without it).
        if (_options.NoSession) return;
        var auth = await db.GetAsync(AuthTables.Auth, new DbRow { ["login"] = login }, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        var expires = time.GetUtcNow().ToUnixTimeMilliseconds() + ageMs;
        var header = RequestSignature.CreateSessionHeader(login, auth.GetString("secret") ?? "", RequestSignature.DomainName(context.Request.Host.Value ?? ""), expires);
        string id;
        try
        {
            await EndSessionAsync(context);
            id = await sessions.StartAsync(login, header, expires, context.RequestAborted);
        }
        catch (CacheException)
        {
            throw new ApiException(503, SessionsUnavailable);
        }
        context.Response.Cookies.Append(SessionStore.CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromMilliseconds(ageMs),
        });
    }

    /// <summary>Ends the request's cookie session, if any. A shared cache that is down answers 503 (the session may
    /// still be there); the cookie is deleted either way.</summary>
    internal async ValueTask EndSessionAsync(HttpContext context)
    {
        if (context.Request.Cookies[SessionStore.CookieName] is { } id)
        {
            context.Response.Cookies.Delete(SessionStore.CookieName);
            try
            {
                await sessions.EndAsync(id, context.RequestAborted);
            }
            catch (CacheException)
            {
                throw new ApiException(503, SessionsUnavailable);
            }
        }
    }

    /// <summary>Ends every session of <paramref name="login"/> on every node (its secret changed, or it was deleted).
    /// Never fails the request: with the shared cache down the sessions are still refused, by the signature check,
    /// once the nodes' cached credentials expire (<c>-db-cache-ttl</c>).</summary>
    internal async ValueTask EndAccountSessionsAsync(string login)
    {
        try
        {
            await sessions.EndAllAsync(login, CancellationToken.None);
        }
        catch (CacheException)
        {
            // counted and logged by the store
        }
    }

    /// <summary>The path as the client sent it, still percent-encoded: what the original server (node's
    /// <c>url.parse(req.url).pathname</c>) and clients sign. Kestrel's <c>Request.Path</c> is decoded.</summary>
    private static string? RawPath(HttpContext context)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget is not { Length: > 0 } raw || raw[0] != '/') return null;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? raw : raw[..q];
    }

    private static string RawQuery(HttpRequest request) => request.QueryString.HasValue ? request.QueryString.Value![1..] : "";

    /// <summary>Matches an account ACL pattern; null when the account has none. A pattern that does not compile
    /// answers <paramref name="whenInvalid"/>, so a broken deny denies and a broken allow allows nothing.</summary>
    private static bool? AclMatch(string? pattern, string path, bool whenInvalid)
    {
        if (string.IsNullOrEmpty(pattern)) return null;
        var regex = AclCache.GetOrAdd(pattern, p =>
        {
            try
            {
                return SafeRegex.Create(p, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(50));
            }
            catch (ArgumentException)
            {
                return null;
            }
        });
        if (regex is null) return whenInvalid;
        try
        {
            return regex.IsMatch(path);
        }
        catch (RegexMatchTimeoutException)
        {
            return whenInvalid;
        }
    }
}
