using System.Globalization;
using System.Text;
using Backend.Security;

namespace Backend.Tests.Fuzz;

/// <summary>How the query of a case is written into the target.</summary>
public enum QueryStyle
{
    /// <summary>Every byte but the unreserved ones percent-encoded.</summary>
    Strict,

    /// <summary>Only what breaks the request line encoded: '%', '&amp;', '=', '+' stay raw.</summary>
    Loose,

    /// <summary>The bytes as they are (controls and non-ASCII included): a request line Kestrel may refuse.</summary>
    Raw,
}

/// <summary>The kind of body of a case.</summary>
public enum BodyKind
{
    /// <summary>No body.</summary>
    None,

    /// <summary>A form body of the parameters.</summary>
    Form,

    /// <summary>A JSON object of the parameters (each value in its <see cref="JsonShape"/>).</summary>
    Json,

    /// <summary><see cref="FuzzCase.BodyText"/> as JSON text: malformed, deep, not an object, invalid Unicode.</summary>
    JsonText,

    /// <summary>A multipart body of the parameters, well formed or broken (<see cref="FuzzCase.Variant"/>).</summary>
    Multipart,

    /// <summary><see cref="FuzzCase.BodyText"/> as the body's bytes.</summary>
    Raw,
}

/// <summary>How a parameter's value is written into a JSON body.</summary>
public enum JsonShape
{
    /// <summary>A JSON string.</summary>
    String,

    /// <summary>The value's text as a literal (a number, true, null, or broken JSON when it is not one).</summary>
    Literal,

    /// <summary>An array of the comma-separated parts.</summary>
    Array,

    /// <summary>An object holding the value.</summary>
    Object,

    /// <summary>The value nested in arrays as deep as <see cref="FuzzCase.Variant"/> says.</summary>
    Deep,
}

/// <summary>How a case is signed.</summary>
public enum SignMode
{
    /// <summary>No signature.</summary>
    None,

    /// <summary>A valid version 1 signature in the header.</summary>
    V1Header,

    /// <summary>A valid version 3 signature in the header.</summary>
    V3Header,

    /// <summary>A valid version 1 signature in the query.</summary>
    V1Query,

    /// <summary>A valid version 3 signature in the query.</summary>
    V3Query,

    /// <summary>The caller's session cookie.</summary>
    Session,

    /// <summary>A session cookie that is no session.</summary>
    BadCookie,

    /// <summary>A session (version 2) signature in the header: never valid there.</summary>
    V2Header,

    /// <summary>Expired.</summary>
    Expired,

    /// <summary>Expires beyond <c>-api-signature-max-age</c>.</summary>
    TooFar,

    /// <summary>Signed with a wrong secret.</summary>
    WrongSecret,

    /// <summary>A login that does not exist.</summary>
    UnknownLogin,

    /// <summary>A checksum of other bytes than the body.</summary>
    WrongChecksum,

    /// <summary>A valid signature with one field replaced by <see cref="FuzzCase.Mutation"/>.</summary>
    Mutated,

    /// <summary><see cref="FuzzCase.Mutation"/> as the whole signature.</summary>
    Garbage,

    /// <summary>Signed for another path.</summary>
    WrongPath,

    /// <summary>A valid signature in the header and garbage in the query.</summary>
    Twice,
}

/// <summary>How the body's length is told.</summary>
public enum LengthMode
{
    /// <summary>Content-Length of the body.</summary>
    Exact,

    /// <summary>Chunked transfer encoding.</summary>
    Chunked,

    /// <summary>A chunk size line that is not hex.</summary>
    BadChunked,

    /// <summary>A Content-Length far larger than anything allowed; the body is never sent.</summary>
    HugeClaim,

    /// <summary>A Content-Length larger than the body, whose connection then ends.</summary>
    ShortBody,

    /// <summary>Two different Content-Length headers.</summary>
    Duplicate,

    /// <summary>No length at all (the body is then not a body); the connection ends after the request.</summary>
    NoLength,
}

/// <summary>One parameter of a case.</summary>
/// <param name="Name">Its name (fuzz text).</param>
/// <param name="Value">Its value (fuzz text).</param>
/// <param name="Shape">How it is written in a JSON body.</param>
public sealed record FuzzParam(string Name, string Value, JsonShape Shape = JsonShape.String);

/// <summary>One generated request, before the run's accounts and the clock are known: <see cref="Build"/> turns it
/// into bytes. Every string is fuzz text (<see cref="FuzzText"/>): it may hold raw bytes, lone surrogates and
/// placeholders for account ids.</summary>
public sealed record FuzzCase
{
    /// <summary>HTTP method.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>The path as written in the target.</summary>
    public string Path { get; init; } = "/";

    /// <summary>How the query is written.</summary>
    public QueryStyle QueryStyle { get; init; }

    /// <summary>Query parameters.</summary>
    public IReadOnlyList<FuzzParam> Query { get; init; } = [];

    /// <summary>Kind of body.</summary>
    public BodyKind Body { get; init; }

    /// <summary>Body parameters (form, JSON, multipart).</summary>
    public IReadOnlyList<FuzzParam> BodyParams { get; init; } = [];

    /// <summary>The body of <see cref="BodyKind.JsonText"/> and <see cref="BodyKind.Raw"/>; for a multipart body the
    /// content of its file part.</summary>
    public string BodyText { get; init; } = "";

    /// <summary>A small number that picks among variants (multipart breakage, nesting depth, chunk size).</summary>
    public int Variant { get; init; }

    /// <summary>The Content-Type header; null for the body kind's own, empty for none.</summary>
    public string? ContentType { get; init; }

    /// <summary>The calling account: 0..3 the users A..D, 4 the admin.</summary>
    public int Caller { get; init; }

    /// <summary>How the request is signed.</summary>
    public SignMode Sign { get; init; }

    /// <summary>For <see cref="SignMode.Mutated"/>: the field replaced (0..6).</summary>
    public int MutatedField { get; init; }

    /// <summary>The replacement field or garbage signature.</summary>
    public string Mutation { get; init; } = "";

    /// <summary>How the body's length is told.</summary>
    public LengthMode Length { get; init; }

    /// <summary>The Host header; null for the server's address, empty for none.</summary>
    public string? Host { get; init; }

    /// <summary>Extra headers.</summary>
    public IReadOnlyList<FuzzParam> Headers { get; init; } = [];

    /// <summary>The case started from a well-formed call of its endpoint (<see cref="FuzzGen.Realistic"/>).</summary>
    public bool Realistic { get; init; }

    /// <summary>The user slot of the admin.</summary>
    public const int AdminCaller = 4;

    /// <summary>Methods Kestrel parses as ordinary requests.</summary>
    private static readonly HashSet<string> PlainMethods = new(StringComparer.Ordinal) { "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH" };

    /// <summary>The request as bytes, with the accounts' ids and credentials filled in and signed as
    /// <see cref="Sign"/> says.</summary>
    public FuzzWire Build(FuzzContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string Fill(string s) => context.Fill(s);
        var account = context.Account(Caller);
        var path = Fill(Path);
        var query = string.Join('&', Query.Select(p => EncodePair(Fill(p.Name), Fill(p.Value), QueryStyle)));
        var (body, defaultType) = BuildBody(context);
        var contentType = ContentType is null ? defaultType : Fill(ContentType);
        var host = Host is null ? context.HostHeader : Fill(Host);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        string? header = null, cookie = null;
        var checksum = Body is BodyKind.Json or BodyKind.Multipart && body.Length > 0 ? RequestSignature.BodyChecksum(body) : "";
        if (Sign == SignMode.WrongChecksum) checksum = RequestSignature.BodyChecksum([.. body, (byte)' ']);
        string Signed(int version, string login, string secret, string signedPath, long expires) =>
            RequestSignature.CreateHeader(version, login, secret, SigningRequest.From(Method, host, signedPath, query, contentType.Length == 0 ? null : contentType, FormText(body, contentType), checksum), expires);
        var valid = Signed(Sign is SignMode.V3Header or SignMode.V3Query ? 3 : 1, account.Login, account.Secret, path, now + 300_000);
        var queryExtra = "";
        switch (Sign)
        {
            case SignMode.None:
                break;
            case SignMode.V1Header or SignMode.V3Header or SignMode.WrongChecksum:
                header = valid;
                break;
            case SignMode.V1Query or SignMode.V3Query:
                queryExtra = "bk-signature=" + Uri.EscapeDataString(valid);
                break;
            case SignMode.Session:
                cookie = context.SessionOf(Caller);
                break;
            case SignMode.BadCookie:
                cookie = FuzzText.Percent(Fill(Mutation));
                break;
            case SignMode.V2Header:
                header = RequestSignature.CreateSessionHeader(account.Login, account.Secret, RequestSignature.DomainName(host), now + 300_000);
                break;
            case SignMode.Expired:
                header = Signed(1, account.Login, account.Secret, path, now - 1000 - Variant);
                break;
            case SignMode.TooFar:
                header = Signed(3, account.Login, account.Secret, path, now + 8L * 86_400_000 + Variant);
                break;
            case SignMode.WrongSecret:
                header = Signed(1, account.Login, account.Secret + "x", path, now + 300_000);
                break;
            case SignMode.UnknownLogin:
                header = Signed(1, "nobody-" + account.Login, account.Secret, path, now + 300_000);
                break;
            case SignMode.WrongPath:
                header = Signed(1, account.Login, account.Secret, "/account/get", now + 300_000);
                break;
            case SignMode.Mutated:
                var fields = valid.Split('|');
                fields[Math.Clamp(MutatedField, 0, fields.Length - 1)] = Fill(Mutation);
                header = string.Join('|', fields);
                break;
            case SignMode.Garbage:
                header = Fill(Mutation);
                break;
            case SignMode.Twice:
                header = valid;
                queryExtra = "bk-signature=" + FuzzText.Loose(Fill(Mutation));
                break;
        }
        // A signature that cannot be a header value (non-ASCII, controls) travels in the query instead.
        if (header is not null && !IsHeaderText(header))
        {
            queryExtra = "bk-signature=" + FuzzText.Percent(header);
            header = null;
        }
        if (queryExtra.Length > 0) query = query.Length > 0 ? query + "&" + queryExtra : queryExtra;

        var head = new StringBuilder(256);
        var target = query.Length > 0 || Query.Count > 0 ? path + "?" + query : path;
        head.Append(Method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        if (host.Length > 0) head.Append("Host: ").Append(host).Append("\r\n");
        if (header is not null) head.Append("bk-signature: ").Append(header).Append("\r\n");
        if (cookie is not null) head.Append("Cookie: bk_session=").Append(cookie).Append("\r\n");
        if (contentType.Length > 0) head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        foreach (var h in Headers) head.Append(Fill(h.Name)).Append(": ").Append(Fill(h.Value)).Append("\r\n");

        var wire = WireMode.Normal;
        byte[] payload = body;
        var hasBody = body.Length > 0 || Method != "GET" && Method != "HEAD";
        switch (Length)
        {
            case LengthMode.Exact:
                if (hasBody) head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
                break;
            case LengthMode.Chunked:
                head.Append("Transfer-Encoding: chunked\r\n");
                payload = Chunk(body, 1 + Variant % 97);
                break;
            case LengthMode.BadChunked:
                head.Append("Transfer-Encoding: chunked\r\n");
                payload = [.. "zz\r\n"u8, .. body, .. "\r\n0\r\n\r\n"u8];
                wire = WireMode.ShutdownAfterSend;
                break;
            case LengthMode.HugeClaim:
                head.Append("Content-Length: ").Append(Variant % 2 == 0 ? "999999999999999" : long.MaxValue.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
                payload = [];
                wire = WireMode.HeadOnly;
                break;
            case LengthMode.ShortBody:
                head.Append("Content-Length: ").Append(body.Length + 1 + Variant % 1000).Append("\r\n");
                wire = WireMode.ShutdownAfterSend;
                break;
            case LengthMode.Duplicate:
                head.Append("Content-Length: ").Append(body.Length).Append("\r\nContent-Length: ").Append(body.Length + 1).Append("\r\n");
                wire = WireMode.ShutdownAfterSend;
                break;
            case LengthMode.NoLength:
                wire = WireMode.ShutdownAfterSend;
                break;
        }
        head.Append("\r\n");
        var headBytes = FuzzText.ToBytes(head.ToString());
        var targetBytes = FuzzText.ToBytes(target);
        // What Kestrel itself may refuse, before any of the server's code runs (its answers have an empty body).
        var protocol = !PlainMethods.Contains(Method)
            || targetBytes.Any(b => b is <= 0x20 or >= 0x7f) || targetBytes.Length == 0 || targetBytes[0] != '/'
            || targetBytes.Length > Backend.Http.RequestLimits.MaxUrlLength * Backend.Http.RequestLimits.KestrelFactor
            || headBytes.Length > Backend.Http.RequestLimits.MaxHeadersSize * Backend.Http.RequestLimits.KestrelFactor
            || Host is not null || !IsHeaderText(contentType)
            // Kestrel refuses a path whose decoding holds a NUL.
            || path.Contains("%00", StringComparison.Ordinal)
            || Headers.Any(h => !IsToken(h.Name) || !IsHeaderText(h.Value) || ProtocolHeaders.Contains(h.Name))
            || Length is LengthMode.BadChunked or LengthMode.Duplicate or LengthMode.ShortBody or LengthMode.HugeClaim or LengthMode.NoLength;
        return new FuzzWire([.. headBytes, .. payload], wire, Method == "HEAD", protocol);
    }

    /// <summary>A C# description of the case and of the bytes it sent, to paste into a regression test.</summary>
    public string Describe(FuzzWire? wire = null)
    {
        var sb = new StringBuilder();
        sb.Append("new FuzzCase { Realistic = ").Append(Realistic ? "true" : "false").Append(", Method = ").Append(FuzzText.CSharpString(Method))
            .Append(", Path = ").Append(Literal(Path))
            .Append(", QueryStyle = QueryStyle.").Append(QueryStyle)
            .Append(", Query = ").Append(Params(Query))
            .Append(", Body = BodyKind.").Append(Body)
            .Append(", BodyParams = ").Append(Params(BodyParams))
            .Append(", BodyText = ").Append(Literal(BodyText))
            .Append(", Variant = ").Append(Variant)
            .Append(", ContentType = ").Append(ContentType is null ? "null" : FuzzText.CSharpString(ContentType))
            .Append(", Caller = ").Append(Caller)
            .Append(", Sign = SignMode.").Append(Sign)
            .Append(", MutatedField = ").Append(MutatedField)
            .Append(", Mutation = ").Append(Literal(Mutation))
            .Append(", Length = LengthMode.").Append(Length)
            .Append(", Host = ").Append(Host is null ? "null" : FuzzText.CSharpString(Host))
            .Append(", Headers = ").Append(Params(Headers))
            .Append(" }");
        if (wire is not null) sb.Append("\n// bytes sent (").Append(wire.Bytes.Length).Append("): ").Append(FuzzText.CSharpBytes(wire.Bytes.Length > 2048 ? wire.Bytes[..2048] : wire.Bytes));
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static string Params(IReadOnlyList<FuzzParam> list) =>
        list.Count == 0 ? "[]" : "[" + string.Join(", ", list.Select(p => $"new({Literal(p.Name)}, {Literal(p.Value)}, JsonShape.{p.Shape})")) + "]";

    /// <summary>A C# expression for a string: a literal, or <c>new string(c, n)</c> for a long run of one character.</summary>
    private static string Literal(string s)
    {
        if (s.Length > 100 && s.AsSpan().TrimStart(s[0]).IsEmpty) return $"new string({FuzzText.CSharpString(s[0].ToString()).Replace('"', '\'')}, {s.Length})";
        return s.Length > 2000 ? FuzzText.CSharpString(s[..2000]) + $" /* {s.Length} chars */" : FuzzText.CSharpString(s);
    }

    private static string EncodePair(string name, string value, QueryStyle style) => style switch
    {
        QueryStyle.Strict => FuzzText.Percent(name) + "=" + FuzzText.Percent(value),
        QueryStyle.Loose => FuzzText.Loose(name) + "=" + FuzzText.Loose(value),
        _ => name + "=" + value,
    };

    private (byte[] Body, string ContentType) BuildBody(FuzzContext context)
    {
        string Fill(string s) => context.Fill(s);
        switch (Body)
        {
            case BodyKind.Form:
                var style = QueryStyle == QueryStyle.Raw ? QueryStyle.Loose : QueryStyle;
                return (FuzzText.ToBytes(string.Join('&', BodyParams.Select(p => EncodePair(Fill(p.Name), Fill(p.Value), style)))), "application/x-www-form-urlencoded");
            case BodyKind.Json:
                var json = "{" + string.Join(',', BodyParams.Select(p => FuzzText.JsonString(Fill(p.Name)) + ":" + JsonValue(Fill(p.Value), p.Shape))) + "}";
                return (FuzzText.ToBytes(Variant % 17 == 0 ? "[" + json + "]" : json), "application/json");
            case BodyKind.JsonText:
                return (FuzzText.ToBytes(Fill(BodyText)), "application/json");
            case BodyKind.Multipart:
                return Multipart(context);
            case BodyKind.Raw:
                return (FuzzText.ToBytes(Fill(BodyText)), "");
            default:
                return ([], "");
        }
    }

    private string JsonValue(string value, JsonShape shape) => shape switch
    {
        JsonShape.Literal => value.Length == 0 ? "\"\"" : value,
        JsonShape.Array => "[" + string.Join(',', value.Split(',').Select(FuzzText.JsonString)) + "]",
        JsonShape.Object => "{\"v\":" + FuzzText.JsonString(value) + "}",
        JsonShape.Deep => new string('[', 1 + Variant % 80) + FuzzText.JsonString(value) + new string(']', 1 + Variant % 80),
        _ => FuzzText.JsonString(value),
    };

    private (byte[] Body, string ContentType) Multipart(FuzzContext context)
    {
        const string boundary = "fuzz-7d1c0a";
        var sb = new StringBuilder();
        var variant = Variant % 12;
        foreach (var p in BodyParams)
        {
            sb.Append("--").Append(boundary).Append("\r\n");
            if (variant == 1) sb.Append("Content-Disposition: form-data\r\n\r\n");
            else if (variant == 2) sb.Append("Content-Disposition: form-data; name=").Append(context.Fill(p.Name)).Append("\r\n\r\n");
            else sb.Append("Content-Disposition: form-data; name=\"").Append(context.Fill(p.Name).Replace("\"", "%22", StringComparison.Ordinal)).Append("\"\r\n\r\n");
            sb.Append(context.Fill(p.Value)).Append("\r\n");
        }
        if (BodyText.Length > 0 || variant == 3)
        {
            sb.Append("--").Append(boundary).Append("\r\n")
                .Append("Content-Disposition: form-data; name=\"icon\"; filename=\"").Append(variant == 4 ? new string('f', 5000) : "icon.png").Append("\"\r\n")
                .Append("Content-Type: image/png\r\n\r\n").Append(context.Fill(BodyText)).Append("\r\n");
        }
        switch (variant)
        {
            case 5: break; // no closing boundary
            case 6: sb.Append("--").Append(boundary); break; // closing boundary without CRLF
            case 7: sb.Insert(0, "garbage before the first boundary\r\n").Append("--").Append(boundary).Append("--\r\n"); break;
            case 8: sb.Append("--").Append(boundary).Append("\r\nContent-Disposition: form-data; name=\"x\"\r\n").Append(new string('h', 20_000)).Append("\r\n\r\nx\r\n--").Append(boundary).Append("--\r\n"); break;
            default: sb.Append("--").Append(boundary).Append("--\r\n"); break;
        }
        var type = variant switch
        {
            9 => "multipart/form-data",
            10 => "multipart/form-data; boundary=other-boundary",
            11 => "multipart/form-data; boundary=" + new string('b', 200),
            _ => "multipart/form-data; boundary=" + boundary,
        };
        return (FuzzText.ToBytes(sb.ToString()), type);
    }

    /// <summary>The form text the server signs: the body of a form POST (what <c>RequestBody</c> reads: none for GET,
    /// HEAD or an empty body).</summary>
    private string? FormText(byte[] body, string contentType) =>
        body.Length > 0 && Method is not ("GET" or "HEAD") && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetString(body) : null;

    private static byte[] Chunk(byte[] body, int size)
    {
        var ms = new MemoryStream();
        for (var i = 0; i < body.Length; i += size)
        {
            var n = Math.Min(size, body.Length - i);
            ms.Write(Encoding.ASCII.GetBytes(n.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            ms.Write(body, i, n);
            ms.Write("\r\n"u8);
        }
        ms.Write("0\r\n\r\n"u8);
        return ms.ToArray();
    }

    private static bool IsHeaderText(string s) => s.All(c => c is >= ' ' and < '\u007f');

    private static bool IsToken(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    /// <summary>Headers that change how Kestrel frames the request.</summary>
    private static readonly HashSet<string> ProtocolHeaders = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Transfer-Encoding", "Host", "Expect", "Connection", "Upgrade" };
}

/// <summary>A built request.</summary>
/// <param name="Bytes">What goes on the wire.</param>
/// <param name="Mode">How it is sent.</param>
/// <param name="IsHead">A HEAD request (the answer has no body).</param>
/// <param name="ProtocolLevel">Kestrel itself may refuse it before the server's code runs (an empty-bodied 4xx is then
/// acceptable).</param>
public sealed record FuzzWire(byte[] Bytes, WireMode Mode, bool IsHead, bool ProtocolLevel);
