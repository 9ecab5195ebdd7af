using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Security;

namespace Backend.Tests.Server;

/// <summary>Where a request carries its signature.</summary>
public enum SignatureIn
{
    /// <summary>The <c>bk-signature</c> header.</summary>
    Header,

    /// <summary>The <c>bk-signature</c> query parameter (URL-encoded).</summary>
    Query,

    /// <summary>Unsigned.</summary>
    None,
}

/// <summary>How to sign one request. The defaults sign correctly (version 1, header, expires in five minutes);
/// the other properties build deliberately wrong signatures.</summary>
public sealed record SignOptions
{
    /// <summary>Signature version, 1 or 3 (2 builds a session-style signature, as a client must not send).</summary>
    public int Version { get; init; } = 1;

    /// <summary>Where the signature goes.</summary>
    public SignatureIn In { get; init; } = SignatureIn.Header;

    /// <summary>EXPIRES in ms since the epoch; null means five minutes from now.</summary>
    public long? Expires { get; init; }

    /// <summary>Sign with this secret instead of the account's.</summary>
    public string? Secret { get; init; }

    /// <summary>Put this login in the signature instead of the account's.</summary>
    public string? Login { get; init; }

    /// <summary>Send this value as the signature, as is (no signing at all).</summary>
    public string? Raw { get; init; }

    /// <summary>The CHECKSUM to sign and send instead of the body's SHA-1.</summary>
    public string? Checksum { get; init; }

    /// <summary>Sign the host with its port (what the old browser client does for absolute URLs).</summary>
    public bool KeepPort { get; init; }

    /// <summary>Use the Latin-1 bytes of the secret as the HMAC key (the old browser client's way).</summary>
    public bool Latin1Key { get; init; }

    /// <summary>Sign this path instead of the one requested.</summary>
    public string? SignedPath { get; init; }

    /// <summary>Sign this query (or form body) instead of the one sent.</summary>
    public string? SignedQuery { get; init; }

    /// <summary>Sign this method instead of the one sent.</summary>
    public string? SignedMethod { get; init; }
}

/// <summary>An account created through the API, with its credentials.</summary>
public sealed record TestAccount(string Login, string Secret, string Id)
{
    /// <summary>The record <c>/account/add</c> answered with.</summary>
    public JsonObject? Added { get; init; }
}

/// <summary>An HTTP client that signs requests the way the original clients do (signature.md), through
/// <see cref="RequestSignature.CreateHeader"/>. Every response is checked for things that must never be sent:
/// a 5xx status, stack traces, exception names, and a <c>secret</c> property.</summary>
public sealed class BackendClient : IDisposable
{
    /// <summary>The form content type.</summary>
    public const string FormType = "application/x-www-form-urlencoded";

    /// <summary>The JSON content type.</summary>
    public const string JsonType = "application/json";

    private readonly HttpClient _http;

    /// <summary>Creates a client for the server at <paramref name="baseAddress"/>.</summary>
    public BackendClient(Uri baseAddress, TestAccount? account = null, bool cookies = false, System.Net.Security.RemoteCertificateValidationCallback? trust = null)
    {
        BaseAddress = baseAddress;
        Account = account;
        Cookies = new CookieContainer();
        var handler = new SocketsHttpHandler
        {
            UseCookies = cookies,
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            Expect100ContinueTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        if (trust is not null) handler.SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The server.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Headers added to every request (sent as given, after the signature is made).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The server process's log so far, when the client knows its server: a 5xx failure shows its end.</summary>
    public Func<string>? ServerOutput { get; init; }

    /// <summary>The account requests are signed as; null sends them unsigned.</summary>
    public TestAccount? Account { get; set; }

    /// <summary>How requests are signed unless a call says otherwise.</summary>
    public SignOptions Defaults { get; set; } = new();

    /// <summary>Sends <c>Expect: 100-continue</c> with bodies, so a body the server refuses up front (413) is never
    /// uploaded and the refusal cannot race with the upload.</summary>
    public bool ExpectContinue { get; set; }

    /// <summary>Cookies (used only when the client was created with cookies on).</summary>
    public CookieContainer Cookies { get; }

    /// <summary>Builds an encoded query or form body from name/value pairs (encodeURIComponent style).</summary>
    public static string Encode(params (string Name, string Value)[] pairs) =>
        string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>Signed GET with the pairs as the query.</summary>
    public Task<ApiResponse> Get(string path, params (string Name, string Value)[] query) =>
        Send(HttpMethod.Get, path, Encode(query), null, null, null);

    /// <summary>GET with a raw (already encoded) query.</summary>
    public Task<ApiResponse> GetRaw(string path, string rawQuery, SignOptions? options = null) =>
        Send(HttpMethod.Get, path, rawQuery, null, null, options);

    /// <summary>GET with the pairs as the query, signed with <paramref name="options"/>.</summary>
    public Task<ApiResponse> Get(string path, SignOptions options, params (string Name, string Value)[] query) =>
        Send(HttpMethod.Get, path, Encode(query), null, null, options);

    /// <summary>Signed form POST (the body is the signed query).</summary>
    public Task<ApiResponse> PostForm(string path, params (string Name, string Value)[] form) =>
        PostFormRaw(path, Encode(form));

    /// <summary>Form POST of a raw body.</summary>
    public Task<ApiResponse> PostFormRaw(string path, string body, SignOptions? options = null, string contentType = FormType, string rawQuery = "") =>
        Send(HttpMethod.Post, path, rawQuery, Encoding.UTF8.GetBytes(body), contentType, options);

    /// <summary>Signed JSON POST: the header's checksum is base64 SHA-1 of the body.</summary>
    public Task<ApiResponse> PostJson(string path, string json, SignOptions? options = null) =>
        Send(HttpMethod.Post, path, "", Encoding.UTF8.GetBytes(json), JsonType, options);

    /// <summary>Signed JSON POST of an object.</summary>
    public Task<ApiResponse> PostJson(string path, JsonObject body, SignOptions? options = null) =>
        PostJson(path, body.ToJsonString(), options);

    /// <summary>Sends a request; signs it unless the options or a missing account say not to.</summary>
    public async Task<ApiResponse> Send(HttpMethod method, string path, string rawQuery, byte[]? body, string? contentType, SignOptions? options)
    {
        ArgumentNullException.ThrowIfNull(method);
        var o = options ?? Defaults;
        var uri = Url(path, rawQuery);
        var signature = o.Raw ?? Sign(method, uri, body, contentType, o);
        if (signature is not null && o.In == SignatureIn.Query)
        {
            var q = uri.Query.TrimStart('?');
            uri = Url(uri.AbsolutePath, (q.Length > 0 ? q + "&" : "") + "bk-signature=" + Uri.EscapeDataString(signature));
        }
        using var request = new HttpRequestMessage(method, uri);
        if (signature is not null && o.In == SignatureIn.Header) Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", signature));
        foreach (var (name, value) in Headers) Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        if (body is not null)
        {
            if (ExpectContinue) request.Headers.ExpectContinue = true;
            request.Content = new ByteArrayContent(body);
            if (contentType is not null) Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        }
        return await SendRaw(request);
    }

    /// <summary>The absolute URL of a path (taken literally, even "//x") and raw query.</summary>
    public Uri Url(string path, string rawQuery = "")
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(rawQuery);
        return new Uri(BaseAddress.GetLeftPart(UriPartial.Authority) + path + (rawQuery.Length > 0 ? "?" + rawQuery : ""));
    }

    /// <summary>A 503 (service unavailable) is an answer the test expects, not a failure; other 5xx still fail.</summary>
    public bool ExpectUnavailable { get; init; }

    /// <summary>Sends a prepared request as is and checks the response for leaks.</summary>
    public async Task<ApiResponse> SendRaw(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var result = new ApiResponse(
            (int)response.StatusCode,
            text,
            response.Content.Headers.ContentType?.ToString(),
            response.Headers.TryGetValues("Set-Cookie", out var cookies) ? [.. cookies] : [])
        {
            RetryAfter = response.Headers.RetryAfter?.Delta is { } delta ? (long)delta.TotalSeconds : null,
        };
        if (result.Status >= 500 && !(ExpectUnavailable && result.Status == 503) && ServerOutput is { } output)
        {
            var log = output();
            Assert.Fail($"{request.Method} {request.RequestUri} answered {result.Status}: {result}\nserver log (end):\n{log[Math.Max(0, log.Length - 4000)..]}");
        }
        result.AssertNothingLeaked($"{request.Method} {request.RequestUri}", ExpectUnavailable);
        return result;
    }

    /// <summary>The <c>bk-signature</c> value for a request, or null when it is to be unsigned.</summary>
    public string? Sign(HttpMethod method, Uri uri, byte[]? body, string? contentType, SignOptions o)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(o);
        if (o.In == SignatureIn.None || Account is null) return null;
        var login = o.Login ?? Account.Login;
        var secret = o.Secret ?? Account.Secret;
        var expires = o.Expires ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 300_000;
        var isJson = contentType?.StartsWith(JsonType, StringComparison.OrdinalIgnoreCase) == true;
        var checksum = o.Checksum ?? (isJson && body is { Length: > 0 } ? RequestSignature.BodyChecksum(body) : "");
        var form = body is not null && contentType?.StartsWith(FormType, StringComparison.OrdinalIgnoreCase) == true ? Encoding.UTF8.GetString(body) : null;
        var query = uri.Query.TrimStart('?');
        if (o.SignedQuery is { } sq)
        {
            if (form is not null) form = sq;
            else query = sq;
        }
        var signing = SigningRequest.From(o.SignedMethod ?? method.Method, uri.Authority, o.SignedPath ?? uri.AbsolutePath, query, contentType, form, checksum);
        if (o.Version == 2)
        {
            // What a session holds; valid only from the session, never from a header or query.
            var sessionSig = RequestSignature.Compute(2, secret, RequestSignature.SessionStringToSign(RequestSignature.DomainName(uri.Authority), expires));
            return new SignatureHeader(2, "", login, sessionSig, expires, "").Format();
        }
        if (!o.KeepPort && !o.Latin1Key) return RequestSignature.CreateHeader(o.Version, login, secret, signing, expires);
        var text = RequestSignature.StringToSign(signing, expires, o.KeepPort);
        return new SignatureHeader(o.Version, "", login, RequestSignature.Compute(o.Version, secret, text, o.Latin1Key), expires, checksum).Format();
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}

/// <summary>A response: status, body text, and the body parsed as JSON on demand.</summary>
public sealed class ApiResponse(int status, string body, string? contentType, IReadOnlyList<string> setCookies)
{
    private JsonNode? _json;
    private bool _parsed;

    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>Body text.</summary>
    public string Body { get; } = body;

    /// <summary>Content-Type of the body.</summary>
    public string? ContentType { get; } = contentType;

    /// <summary>Set-Cookie headers.</summary>
    public IReadOnlyList<string> SetCookies { get; } = setCookies;

    /// <summary>The Retry-After header in seconds, when there is one.</summary>
    public long? RetryAfter { get; init; }

    /// <summary>The body as JSON (null for an empty body); fails the test when it is not JSON.</summary>
    public JsonNode? Json
    {
        get
        {
            if (_parsed) return _json;
            _parsed = true;
            if (Body.Length == 0) return null;
            try
            {
                _json = JsonNode.Parse(Body);
            }
            catch (System.Text.Json.JsonException)
            {
                Assert.Fail($"response {Status} is not JSON: {Shorten(Body)}");
            }
            return _json;
        }
    }

    /// <summary>The body as a JSON object.</summary>
    public JsonObject Object => Json as JsonObject ?? throw Xunit.Sdk.FailException.ForFailure($"expected a JSON object, got {Status}: {Shorten(Body)}");

    /// <summary>The body as a JSON array.</summary>
    public JsonArray Array => Json as JsonArray ?? throw Xunit.Sdk.FailException.ForFailure($"expected a JSON array, got {Status}: {Shorten(Body)}");

    /// <summary>A string property of the object body.</summary>
    public string? Str(string name) => Object[name]?.ToString();

    /// <summary>The rows of a select reply, <c>{"data":[...],"next_token":"..."}</c>.</summary>
    public JsonArray Data => Object["data"] as JsonArray ?? throw Xunit.Sdk.FailException.ForFailure($"no data array in {Shorten(Body)}");

    /// <summary>The next_token of a select reply.</summary>
    public string NextToken => Object["next_token"]?.GetValue<string>() ?? throw Xunit.Sdk.FailException.ForFailure($"no next_token in {Shorten(Body)}");

    /// <inheritdoc />
    public override string ToString() => $"{Status} {Shorten(Body)}";

    /// <summary>No server error, stack trace or secret may ever reach a client.</summary>
    internal void AssertNothingLeaked(string what, bool expectUnavailable = false)
    {
        Assert.False(Status >= 500 && !(expectUnavailable && Status == 503), $"{what} answered {Status}: {Shorten(Body)}");
        Assert.False(Body.Contains("Exception", StringComparison.Ordinal), $"{what} leaked an exception: {Shorten(Body)}");
        Assert.False(Body.Contains("   at ", StringComparison.Ordinal), $"{what} leaked a stack trace: {Shorten(Body)}");
        if (ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true && Json is { } json)
            Assert.False(HasProperty(json, "secret"), $"{what} sent a secret property: {Shorten(Body)}");
    }

    /// <summary>True when any object in the tree has the property.</summary>
    public static bool HasProperty(JsonNode? node, string name) => node switch
    {
        JsonObject o => o.Any(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase) || HasProperty(p.Value, name)),
        JsonArray a => a.Any(x => HasProperty(x, name)),
        _ => false,
    };

    private static string Shorten(string s) => s.Length > 2000 ? s[..2000] + "..." : s;
}
