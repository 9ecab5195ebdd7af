using System.Globalization;
using Backend.Data;
using CsCheck;

namespace Backend.Tests.Fuzz;

/// <summary>CsCheck generators that know the API (<see cref="FuzzApi"/>): every endpoint, realistic and hostile
/// parameter names and values by what the parameter means, bodies of every type (form, JSON valid and broken,
/// multipart valid and broken, mismatched content types, lying lengths) and signatures valid and mutated, in the
/// header, the query or a session cookie. Text never holds <see cref="FuzzText.LeakMarkers"/>, so a reply that does
/// leaked it.</summary>
public static class FuzzGen
{
    private static string C(int b) => FuzzText.RawByte(b).ToString();

    /// <summary>Values that break parsers: numbers at the edges, words, injection attempts, controls, lone
    /// surrogates, invalid UTF-8, separators.</summary>
    public static readonly string[] Hostile =
    [
        "", " ", "null", "undefined", "true", "false", "0", "-0", "-1", "1", "NaN", "Infinity", "-Infinity", "nan", "inf",
        "1e309", "-1e309", "1e-400", "4.9e-324", "1.7976931348623157e308", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "99999999999999999999999999999999999999", "0x7fffffff", "1_000", "1,5", "1.5", " 5", "5 ",
        "+5", "--5", "1e3", "0.0000001", "\uff11\uff12", "\u0663", "'", "\"", "\\", "%", "_", "%%", "%_%", "' OR '1'='1",
        "'; drop table bk_account; --", "1; select 1", "\" OR \"\"=\"", "`", "$where", "{\"$gt\":\"\"}", "../../etc/passwd",
        "..\\..\\boot.ini", "<script>alert(1)</script>", "\0", "a\0b", "\0\0\0", "\u0001\u001f\u007f", "\r\n", "\t", "\b\f\v",
        "\ud800", "\udc00", "a\ud800b", "\udfff\ud800", "\ud83d\ude00", "\uffff", "\ufffe", "\ufeff", "\u202e", "\U0001d4b3",
        C(0xff), C(0xc0) + C(0xaf), C(0xe2) + C(0x82), C(0xed) + C(0xa0) + C(0x80), "a" + C(0x80) + "b", C(0xf4) + C(0x90) + C(0x80) + C(0x80),
        "a,b,c", ",,,", ",", "|", "||||||", ":", "like:", "like:x:y", "*", "?", "#", "&", "=", "+", "@alias", "#alias", "(", ")",
        "((((((((((", "[", "{", "}", "[]", "{}", "[1,2]", "{\"a\":1}", "[[[[[[[[", "(a+)+$", "(.*)*x", "\\d{99999}", "[z-a]",
        "data:image/png;base64,", "====", "AAAA", "__proto__", "constructor", "id", "secret", "login", "bk_auth",
    ];

    /// <summary>Parameter names that are not the endpoint's.</summary>
    public static readonly string[] HostileNames =
    [
        "", "_", "__", "_x", "x", "id[]", "id[0]", "a.b", "a=b", "a&b", "bk-signature", "BK-SIGNATURE", "Id", "ID", "_COUNT",
        "\0", "\ud800", "secret", "login", "type", "acl_deny", "expires", "mkey", "geohash", "ctime", "mtime", "_cached", "_pool",
        "_total", "_fields", "_format", "_callback", "__proto__", "constructor", "nosuch", "\u00e9t\u00e9", "_session", "_query",
    ];

    private static readonly string[] ConnectionTypes = ["like", "follow", "invite", "block", "a", "like:x", ":", "LIKE", "like ", "\u00e9"];

    private static readonly string[] Ops =
    [
        "eq", "=", "ne", "!=", "gt", ">", "ge", ">=", "lt", "<", "le", "<=", "in", "between", "begins_with", "contains", "like",
        "near", "EQ", "", "regexp", "<>", "not in", "null",
    ];

    private static readonly string[] Queries =
    [
        "alias = @alias", "id = @id", "#alias = @alias", "alias like @alias", "mtime > @mtime", "1 = 1", "alias = = 1", "nosuch = 1",
        "alias = @nosuch", "alias > 'a' and id in (select id from bk_account)", "foo(", "1/0", "id = 1 union select 1", "'unterminated",
        "\"alias\" = @alias", "`alias` = @alias", "alias = 'x'; drop table bk_account", "-- comment", "/* c */ 1", "a\\b", "$$x$$",
        "begins_with(alias, @alias)", "attribute_exists(alias)", "size(alias) > 1", "alias = @alias and", "((((1))))",
        "alias in (@alias, @alias, @alias)", "cast(@alias as integer) > 0", "abs(-9223372036854775808) > 0", "length(zeroblob(-1)) > 0", "mtime / 0 = 1", "alias regexp '(a+)+$'", "json_extract(alias, '$') = 1", "X'zz' = 1",
        "999999999999999999999999999 > 1", "id = ?", "id = :id", "@", "#", "#1 = 1", "secret = 1", "\"secret\" = 1",
    ];

    /// <summary>A tiny valid PNG (1x1), GIF, JPEG start and WebP start.</summary>
    private static readonly byte[][] Images =
    [
        Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
        // Uploads are decoded (docs/images.md): real images of each format, so the endpoints get past the decoder;
        // the broken ones come from the byte arrays and hostile values below.
        Convert.FromBase64String("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="),
        Encoded(".jpg"),
        Encoded(".webp"),
    ];

    private static byte[] Encoded(string format)
    {
        using var image = NetVips.Image.Black(4, 3, bands: 3);
        return image.WriteToBuffer(format);
    }

    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const string Symbols = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\r\n\0\u0001\u007f";
    private const string Unicode = "\u00e9\u00df\u00ff\u0100\u0416\u05d0\u0627\u4e2d\u3042\uac00\u200b\u200d\u202e\ufeff\ufffd\uffff\ud800\udbff\udc00\udfff";

    /// <summary>Short text: letters, symbols, Unicode (lone surrogates too) or raw bytes.</summary>
    public static readonly Gen<string> ShortText = Gen.Frequency(
        (6, Gen.Char[Letters].Array[0, 12].Select(a => new string(a))),
        (3, Gen.Char[Letters + Symbols].Array[0, 24].Select(a => new string(a))),
        (2, Gen.Char[Letters + Unicode].Array[1, 16].Select(a => new string(a))),
        (1, Gen.Byte.Array[1, 16].Select(b => FuzzText.FromBytes(b))))
        .Select(FuzzText.Sanitize);

    /// <summary>Text of any length up to 300,000 characters (over every column's and the URL's limits).</summary>
    public static readonly Gen<string> LongText = Gen.Select(
        Gen.Frequency((6, Gen.OneOf(129, 1023, 1024, 1025, 8192, 8193)), (1, Gen.OneOf(50_001, 70_000, 262_145, 300_000))),
        Gen.Char[Letters + "%_"], (n, c) => new string(c, n));

    /// <summary>Numbers: plausible ones and the edges of every numeric type.</summary>
    public static readonly Gen<string> Number = Gen.Frequency(
        (3, Gen.Int[-5, 100].Select(i => i.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Long.Select(l => l.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Double.Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(
            "0", "-1", "1.5", "-0", "1e3", "1e308", "1e309", "-1e309", "NaN", "Infinity", "-Infinity", "9223372036854775807",
            "9223372036854775808", "-9223372036854775809", "99999999999999999999999", "2147483648", "0x10", " 1", "1 ", "", "abc",
            "\uff11", "1e-400", "4.9e-324", "999999999999999", "1000000000000000", "-999999999999999")));

    /// <summary>Coordinates: in range, at and over the edges, and not numbers.</summary>
    public static readonly Gen<string> Coordinate = Gen.Frequency(
        (4, Gen.Double[-180, 180].Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (2, Gen.Double[-1, 1].Select(d => (37.77 + d / 100).ToString("R", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("90", "-90", "180", "-180", "90.0000001", "-180.0000001", "91", "1e308", "NaN", "Infinity", "", "x", "0", "-0")));

    /// <summary>Times in ms: the run's own messages, recent ones, and edges.</summary>
    public static readonly Gen<string> Time = Gen.Frequency(
        (3, Gen.Const(FuzzText.SeenTime.ToString())),
        (2, Gen.Long[1_700_000_000_000, 1_900_000_000_000].Select(l => l.ToString(CultureInfo.InvariantCulture))),
        (1, Number));

    /// <summary>Account ids: the run's accounts, lists of them, made-up ones, and hostile values.</summary>
    public static readonly Gen<string> Id = Gen.Frequency(
        (6, Gen.OneOf(FuzzText.IdA.ToString(), FuzzText.IdB.ToString(), FuzzText.IdAdmin.ToString(), FuzzText.SeenSender.ToString())),
        (2, Gen.OneOf(FuzzText.IdA + "," + FuzzText.IdB, FuzzText.IdA + "," + FuzzText.IdA + ",x," + FuzzText.IdAdmin, ",", FuzzText.IdB + ",")),
        (2, Gen.Guid.Select(g => g.ToString("N"))),
        (1, Gen.OneOf(Hostile)),
        (1, ShortText),
        (1, LongText));

    /// <summary>Paging tokens: one the run has seen, base64url JSON arrays of odd values, and garbage.</summary>
    public static readonly Gen<string> Token = Gen.Frequency(
        (2, Gen.Const(FuzzText.SeenToken.ToString())),
        (4, Gen.OneOf(Gen.OneOf(Hostile), Number, ShortText).Array[0, 4]
            .Select(values => Base64Url("[" + string.Join(',', values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? v : FuzzText.JsonString(v))) + "]"))),
        (1, Gen.OneOf("W10", "Ww", "e30", "bnVsbA", "WzFd", "WyJhIiwiYiIsImMiXQ", "!!!", "////", "====", "%%%", "W251bGwsbnVsbF0", "WzFlOTk5XQ")),
        (1, ShortText),
        (1, Gen.Byte.Array[0, 64].Select(b => Convert.ToBase64String(b))));

    /// <summary>Column lists for <c>_select</c> and names for <c>_sort</c>.</summary>
    public static readonly Gen<string> ColumnList = Gen.OneOf(Gen.OneOf(FuzzApi.ColumnNames), Gen.OneOf(HostileNames), ShortText).Array[1, 5].Select(a => string.Join(',', a));

    /// <summary><c>_ops</c> values: column/operator pairs, odd counts, unknown operators.</summary>
    public static readonly Gen<string> OpsList = Gen.Frequency(
        (5, Gen.Select(Gen.OneOf(Gen.OneOf(FuzzApi.ColumnNames), Gen.OneOf(HostileNames)), Gen.OneOf(Ops)).Array[1, 4]
            .Select(a => string.Join(',', a.Select(p => p.Item1 + "," + p.Item2)))),
        (1, Gen.OneOf(Hostile)),
        (1, ShortText));

    /// <summary>A valid small image in plain base64 (the realistic parameters).</summary>
    private static readonly Gen<string> RealIcon = Gen.Int[0, Images.Length - 1].Select(i => Convert.ToBase64String(Images[i]));

    private static readonly Gen<string> AccountIconType = Gen.OneOf("0", "1", "a");

    private static readonly Gen<string> IconType = Gen.OneOf("p1", "p2", "");

    /// <summary>Images as <c>icon</c> values: valid small images (URL-safe, data URLs, unpadded), random bytes, not base64.</summary>
    public static readonly Gen<string> Icon = Gen.Frequency(
        (4, Gen.Select(Gen.Int[0, Images.Length - 1], Gen.Int[0, 3], (i, style) => style switch
        {
            0 => Convert.ToBase64String(Images[i]),
            1 => "data:image/png;base64," + Convert.ToBase64String(Images[i]),
            2 => Convert.ToBase64String(Images[i]).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            _ => Convert.ToBase64String(Images[i]).Replace("A", "A\r\n", StringComparison.Ordinal),
        })),
        (2, Gen.Byte.Array[0, 300].Select(b => Convert.ToBase64String(b))),
        (1, Gen.OneOf(Hostile)),
        (1, LongText),
        (1, ShortText));

    /// <summary>Regular expressions (<c>match</c>, ACLs): valid, broken and catastrophic.</summary>
    public static readonly Gen<string> Pattern = Gen.OneOf(
        Gen.OneOf(".*", "^/account", "like", "(a+)+$", "(.*a){20}", "((a*)*)*b", "[", "(", "\\", "a{99999}", "(?<x>a)\\k<y>", "(?=a)", "\\p{Zz}", "x**", ""),
        ShortText,
        LongText);

    /// <summary>A value for a parameter of that name, by what the name means.</summary>
    public static Gen<string> ValueFor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ValueGens.GetOrAdd(name, MakeValueFor);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Gen<string>> ValueGens = new(StringComparer.Ordinal);

    private static Gen<string> MakeValueFor(string name)
    {
        var typed = name switch
        {
            "id" or "sender" or "recipient" => Id,
            "_count" => Gen.Frequency((3, Gen.Int[0, 60].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, Number)),
            "_start" or "_token" => Token,
            "_select" or "_sort" => ColumnList,
            "_ops" => OpsList,
            "_query" => Gen.Frequency((4, Gen.OneOf(Queries)), (1, ShortText), (1, LongText)),
            "icon" => Icon,
            "match" or "acl_deny" or "acl_allow" => Pattern,
            // Connection types, account types, and icon types (account icons: 0-9, a-z; by prefix: album1:p1).
            "type" => Gen.Frequency((4, Gen.OneOf(ConnectionTypes)), (1, Gen.OneOf("admin", "admin,user", "user")), (3, Gen.OneOf("0", "1", "5", "a", "z", "album1:p1", "album1:")), (1, ShortText)),
            "prefix" => Gen.OneOf("album", "photos", "a.b_c-1", "account", "docs"),
            "_width" or "_height" => Gen.Frequency((4, Gen.Int[-64, 64].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, Number)),
            "_quality" => Gen.Frequency((4, Gen.Int[1, 100].Select(i => i.ToString(CultureInfo.InvariantCulture))), (1, Number)),
            "_ext" => Gen.OneOf("jpg", "png", "gif", "webp", "txt", "bmp", "JPG", ""),
            "_name" => Gen.OneOf("data", "file", "icon"),
            "data" => Gen.Frequency((4, Gen.Byte.Array[0, 200].Select(b => Convert.ToBase64String(b))), (1, ShortText)),
            "name" => Gen.Frequency((3, Gen.OneOf("a.txt", "report.pdf", "notes", "x-1_y.json")), (1, ShortText)),
            "latitude" or "longitude" => Coordinate,
            "distance" => Gen.Frequency((2, Gen.Double[0, 60].Select(d => d.ToString("R", CultureInfo.InvariantCulture))), (1, Number)),
            "mtime" or "ctime" or "ltime" or "expires" => Time,
            "login" => Gen.Frequency((3, Gen.Guid.Select(g => "fuzz-" + g.ToString("N")[..12])), (1, ShortText), (1, Gen.OneOf(Hostile))),
            _ when FuzzApi.Flags.Contains(name) => Gen.OneOf("1", "0", "true", "false", "yes", "maybe", "2", "", "-1", "on", "\0"),
            _ => FuzzApi.TypeOf(name) is ColumnType.Int or ColumnType.BigInt or ColumnType.Counter or ColumnType.Real ? Number : null,
        };
        var text = Gen.Frequency((12, ShortText), (3, Gen.OneOf(Hostile)), (1, LongText));
        return typed is null ? text : Gen.Frequency((8, typed), (1, Gen.OneOf(Hostile)), (1, ShortText));
    }


    /// <summary>Table names for data paths: every table, and names that are not tables.</summary>
    private static readonly Gen<string> TableName = Gen.Frequency(
        (8, Gen.OneOf(FuzzApi.TableNames)),
        (1, Gen.OneOf("nosuch", "BK_ACCOUNT", "sqlite_master", "bk_account;drop", "..", "%2e%2e", "bk_account%00", "information_schema", "pg_user", "mysql")),
        (1, ShortText.Select(FuzzText.Percent)));

    /// <summary>Every template once (each data operation its own), so each is picked as often as any other.</summary>
    private static readonly (FuzzEndpoint Endpoint, string Template)[] Expanded = [.. FuzzApi.Endpoints.SelectMany(e => e.Path.Contains("/OP/", StringComparison.Ordinal)
        ? FuzzApi.DataOps.Select(op => (e, e.Path.Replace("OP", op, StringComparison.Ordinal)))
        : [(e, e.Path)])];

    /// <summary>A documented endpoint with its templates filled (table, operation), as the path to send, the
    /// template, the table and its parameter names.</summary>
    public static readonly Gen<FuzzTarget> Endpoint =
        from x in Gen.OneOf(Expanded)
        from badOp in Gen.Frequency((19, Gen.Const((string?)null)), (1, Gen.OneOf<string?>("nosuch", "GET", "columns", "keys", "")))
        from table in TableName
        let template = badOp is not null && x.Endpoint.Path.Contains("/OP/", StringComparison.Ordinal) ? x.Endpoint.Path.Replace("OP", badOp, StringComparison.Ordinal) : x.Template
        select new FuzzTarget(template.Replace("TABLE", table, StringComparison.Ordinal), template,
            x.Endpoint.Path.Contains("TABLE", StringComparison.Ordinal) ? table : x.Endpoint.Tables.FirstOrDefault(), Names(x.Endpoint, table));

    private static string[] Names(FuzzEndpoint e, string table)
    {
        var tables = e.Path.Contains("TABLE", StringComparison.Ordinal) ? [table] : e.Tables;
        return [.. e.Params, .. tables.SelectMany(t => FuzzApi.Tables.Get(t)?.Columns.Select(c => c.Name) ?? [])];
    }

    /// <summary>The path to send: mostly an endpoint as documented, else changed (case, slashes, encoding, dot
    /// segments, unknown, very long, absolute form).</summary>
    public static readonly Gen<FuzzTarget> PathGen = Gen.Frequency(
        (20, Endpoint),
        (4, Gen.Select(Endpoint, Gen.Int[0, 11], ShortText, (e, how, text) => e with { Path = how switch
        {
            0 => e.Path.ToUpperInvariant(),
            1 => e.Path + "/",
            2 => "/" + e.Path,
            3 => e.Path + "/" + FuzzText.Percent(text),
            4 => e.Path.Replace("/", "%2F", StringComparison.Ordinal).Insert(0, "/"),
            5 => e.Path[..^1] + "%" + ((int)e.Path[^1]).ToString("X2", CultureInfo.InvariantCulture),
            6 => "/public/../" + e.Path.TrimStart('/'),
            7 => e.Path + ".html",
            8 => e.Path + "%00",
            9 => e.Path + ";x=1",
            10 => e.Path + "/%ff%fe",
            _ => e.Path + FuzzText.Loose(text),
        } })),
        (2, Gen.Select(ShortText, Gen.OneOf("/", "/nowhere", "/account", "/data", "/data/", "/public/x", "/x.html", "/.well-known/x", "/%", "/%zz", "/%c0%ae%c0%ae/", "/\\account\\get"),
            (text, prefix) => new FuzzTarget(prefix + FuzzText.Loose(text), "", null, HostileNames))),
        (1, Gen.Select(ShortText, Gen.Int[0, 3], (text, how) => new FuzzTarget(how switch
        {
            0 => "/account/get/" + new string('a', 70_000),
            1 => "*",
            2 => "http://127.0.0.1/account/get",
            _ => "/account/" + text,
        }, "", null, []))));

    private static readonly Gen<string> Letters8 = Gen.Char[Letters].Array[1, 8].Select(a => new string(a));
    private static readonly Gen<string> RealId = Gen.OneOf(FuzzText.IdA.ToString(), FuzzText.IdB.ToString(), FuzzText.IdAdmin.ToString());
    private static readonly Gen<string> OtherId = Gen.Frequency((4, Gen.Const(FuzzText.IdB.ToString())), (1, Gen.Const(FuzzText.IdA.ToString())), (1, Gen.Const(FuzzText.IdAdmin.ToString())));
    private static readonly Gen<string> RealType = Gen.OneOf("like", "follow", "invite");
    private static readonly Gen<string> RealLatitude = Gen.Double[37.6, 37.9].Select(d => d.ToString("R", CultureInfo.InvariantCulture));
    private static readonly Gen<string> RealLongitude = Gen.Double[-122.5, -122.3].Select(d => d.ToString("R", CultureInfo.InvariantCulture));

    private static Gen<FuzzParam[]> All(params (string Name, Gen<string> Value)[] parameters) =>
        parameters.Aggregate(Gen.Const(Array.Empty<FuzzParam>()), (acc, p) => from list in acc from v in p.Value select (FuzzParam[])[.. list, new FuzzParam(p.Name, v)]);

    /// <summary>A realistic value for a key or column of a table, so data API calls find and write real rows.</summary>
    private static Gen<string> RealValue(string table, string column) => (table, column) switch
    {
        (_, "id") => RealId,
        ("bk_connection" or "bk_reference", "type") => Gen.Select(RealType, OtherId, (t, id) => t + ":" + id),
        (_, "login") => Gen.Guid.Select(g => "fuzz-" + g.ToString("N")[..12]),
        (_, "mkey") => Gen.Const("00" + FuzzText.SeenTime + ":" + FuzzText.SeenSender),
        (_, "geohash") => Gen.OneOf("9q8y", "9q8z", "9q8yy"),
        _ => FuzzApi.TypeOf(column) is ColumnType.Int or ColumnType.BigInt or ColumnType.Counter ? Gen.Int[0, 5].Select(i => i.ToString(CultureInfo.InvariantCulture))
            : FuzzApi.TypeOf(column) is ColumnType.Real ? RealLatitude : Letters8,
    };

    private static readonly string[] ApnsDevices = ["apple://" + new string('a', 64), "apn://" + string.Concat(Enumerable.Repeat("0123456789abcdef", 4)), "ios://" + new string('F', 64)];

    /// <summary>The parameters a well-formed call of the endpoint needs, with realistic values (the run's accounts, real
    /// types, coordinates in range, a message the run has seen); a case starts from them half the time, so it gets past
    /// the endpoint's own checks and into the database.</summary>
    public static Gen<FuzzParam[]> Realistic(FuzzTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var table = target.Table is { } name ? FuzzApi.Tables.Get(name) : null;
        var keys = table is null ? Gen.Const(Array.Empty<FuzzParam>()) : All([.. table.PrimaryKeys.Select(k => (k, RealValue(table.Name, k)))]);
        var column = table is null ? Gen.Const(Array.Empty<FuzzParam>())
            : Gen.OneOf(table.Columns.Where(c => !c.Now).Select(c => c.Name).ToArray()).SelectMany(c => RealValue(table.Name, c).Select(v => new[] { new FuzzParam(c, v) }));
        return target.Template switch
        {
            "/account/add" => All(("login", Gen.Guid.Select(g => "fuzz-" + g.ToString("N")[..12])), ("secret", Letters8), ("name", Letters8), ("alias", Letters8)),
            "/account/get" => Gen.Frequency((3, Gen.Const(Array.Empty<FuzzParam>())), (1, All(("id", Gen.Select(RealId, RealId, (a, b) => a + "," + b))))),
            "/account/select" => All(("alias", Gen.OneOf("fuzz0", "fuzz1", "fuzz", "Admin")), ("_ops", Gen.OneOf("alias,begins_with", "alias,eq", "alias,like", "alias,contains")), ("_count", Gen.OneOf("1", "2", "50"))),
            "/account/update" => All(("alias", Gen.Select(Gen.Int[0, 3], i => "fuzz" + i)), ("email", Letters8)),
            "/account/put/secret" => All(("secret", Letters8)),
            // Icons: a real image under a valid type and prefix, so puts store something and reads find it.
            "/account/put/icon" => All(("type", AccountIconType), ("icon", RealIcon), ("acl_allow", Gen.OneOf("", "all", "auth"))),
            "/account/get/icon" or "/account/del/icon" => All(("type", AccountIconType)),
            "/icon/put" => All(("prefix", Gen.Const("album")), ("type", IconType), ("icon", RealIcon), ("descr", Letters8)),
            "/icon/upload" => All(("prefix", Gen.Const("album")), ("icon", RealIcon)),
            "/icon/get" or "/icon/del" or "/icon/select" => All(("prefix", Gen.Const("album")), ("type", IconType)),
            "/account/subscribe" => All(("match", Gen.OneOf(".*", "like", "message"))),
            "/connection/add" or "/connection/put" or "/connection/update" or "/connection/get" or "/reference/get" or "/connection/del" =>
                All(("id", OtherId), ("type", RealType), ("state", Letters8)),
            "/connection/incr" => All(("id", OtherId), ("type", RealType), ("state", Gen.OneOf("1", "2"))),
            "/connection/select" or "/reference/select" => All(("type", RealType), ("_details", Gen.OneOf("0", "1")), ("_count", Gen.OneOf("1", "2", "10"))),
            "/counter/get" => All(("id", RealId)),
            "/counter/put" => All(("ping", Gen.Int[0, 9].Select(i => i.ToString(CultureInfo.InvariantCulture)))),
            "/counter/incr" => All(("ping", Gen.Int[-2, 5].Select(i => i.ToString(CultureInfo.InvariantCulture))), ("id", OtherId)),
            "/location/put" => All(("latitude", RealLatitude), ("longitude", RealLongitude), ("location", Letters8)),
            "/location/get" => All(("latitude", RealLatitude), ("longitude", RealLongitude), ("distance", Gen.OneOf("1", "5", "20")), ("_details", Gen.OneOf("0", "1"))),
            "/message/add" => Gen.Frequency(
                (3, All(("id", OtherId), ("msg", Letters8))),
                (1, All(("id", OtherId), ("icon", Icon), ("msg", Letters8)))),
            "/message/get" or "/message/get/archive" => All(("_count", Gen.OneOf("1", "5")), ("_details", Gen.OneOf("0", "1"))),
            "/message/get/sent" => All(("recipient", OtherId)),
            "/message/archive" or "/message/del" or "/message/del/archive" or "/message/image" =>
                All(("sender", Gen.Const(FuzzText.SeenSender.ToString())), ("mtime", Gen.Const(FuzzText.SeenTime.ToString()))),
            "/message/del/sent" => All(("recipient", OtherId), ("mtime", Gen.Const(FuzzText.SeenTime.ToString()))),
            "/status/put" => All(("status", Gen.OneOf("busy", "away", "here"))),
            // Push: a well-formed APNs token, so adds store a device and deletes find one.
            "/device/add" or "/device/del" => All(("device_id", Gen.OneOf(ApnsDevices))),
            "/push/notify" => All(("id", RealId), ("msg", Letters8), ("offline", Gen.OneOf("0", "1"))),
            "/status/get" => All(("id", Gen.Select(RealId, RealId, (a, b) => a + "," + b))),
            "/data/get/TABLE" or "/data/del/TABLE" or "/data/list/TABLE" => keys,
            "/data/select/TABLE" => Gen.Select(keys, (FuzzParam[] k) => k.Length > 0 ? k[..1] : k),
            "/data/search/TABLE" => All(("_query", Gen.OneOf("id = @id", "#id = @id", "alias = @alias", "mtime > @mtime")), ("id", RealId), ("alias", Gen.OneOf("fuzz0", "fuzz1")), ("mtime", Gen.Const("0"))),
            "/data/add/TABLE" or "/data/put/TABLE" or "/data/update/TABLE" or "/data/incr/TABLE" or "/data/replace/TABLE" =>
                Gen.Select(keys, column, (k, c) => (FuzzParam[])[.. k, .. c]),
            _ => Gen.Const(Array.Empty<FuzzParam>()),
        };
    }

    /// <summary>Parameters for an endpoint: mostly its own names, some options and hostile names, each with a value
    /// for what it means and a JSON shape.</summary>
    public static Gen<FuzzParam[]> ParamsFor(string[] names, int max = 7)
    {
        ArgumentNullException.ThrowIfNull(names);
        var name = names.Length == 0
            ? Gen.Frequency((3, Gen.OneOf(FuzzApi.CommonOptions)), (2, Gen.OneOf(HostileNames)), (1, ShortText))
            : Gen.Frequency((12, Gen.OneOf(names)), (2, Gen.OneOf(FuzzApi.CommonOptions)), (1, Gen.OneOf(FuzzApi.Flags)), (2, Gen.OneOf(HostileNames)), (1, ShortText));
        var shape = Gen.Frequency((12, Gen.Const(JsonShape.String)), (4, Gen.Const(JsonShape.Literal)), (2, Gen.Const(JsonShape.Array)), (1, Gen.Const(JsonShape.Object)), (1, Gen.Const(JsonShape.Deep)));
        var param = from n in name from v in ValueFor(n) from s in shape select new FuzzParam(n, v, s);
        return param.Array[0, max];
    }

    /// <summary>JSON texts that are not a well-formed object of scalars.</summary>
    public static readonly Gen<string> JsonText = Gen.Frequency(
        (3, Gen.OneOf(
            "{", "}", "{\"a\":", "{\"a\":1,}", "{'a':1}", "{a:1}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":1e999}", "{\"a\":-}",
            "{\"a\":01}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"\\udc00\":1}", "{\"a\":1}{\"b\":2}",
            "{\"a\":1} x", "// c\n{}", "/* c */{}", "\ufeff{}", "[]", "[1,2,3]", "\"text\"", "42", "true", "null", "", " ", "\0",
            "{\"a\":\"b\0c\"}", "{\"id\":null,\"_count\":null}", "{\"id\":[],\"type\":{}}", "{\"id\":[[[]]]}", "{\"__proto__\":{\"x\":1}}",
            "{\"a\":1,\"a\":2}", "{\"_count\":1e400}", "{\"latitude\":1e999,\"longitude\":-1e999}", "{\"mtime\":123456789012345678901234567890}")),
        (1, Gen.Int[60, 200].Select(n => new string('[', n) + new string(']', n))),
        (1, Gen.Int[60, 200].Select(n => string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n))),
        (1, Gen.Byte.Array[1, 64].Select(b => "{\"a\":\"" + FuzzText.FromBytes(b) + "\"}")),
        (1, ShortText));

    /// <summary>Content types other than the body's own.</summary>
    public static readonly Gen<string> ContentType = Gen.OneOf(
        "", "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/json; charset=latin1", "application/jsonx",
        "application/json-patch+json", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8",
        "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"fuzz-7d1c0a\"", "multipart/mixed; boundary=x",
        "text/plain", "application/octet-stream", "image/png", "*/*", ";;;", "application/json; charset=\"", "x", "application/x-www-form-urlencodedjson");

    private static readonly Gen<string> Method = Gen.Frequency(
        (10, Gen.Const("GET")), (10, Gen.Const("POST")), (1, Gen.OneOf("HEAD", "PUT", "DELETE", "OPTIONS", "PATCH")), (1, Gen.OneOf("get", "TRACE", "CONNECT", "PROPFIND", "G\u00c9T", "")));

    private static readonly Gen<SignMode> Sign = Gen.Frequency(
        (10, Gen.Const(SignMode.V1Header)), (4, Gen.Const(SignMode.V3Header)), (3, Gen.Const(SignMode.V1Query)), (2, Gen.Const(SignMode.V3Query)),
        (3, Gen.Const(SignMode.Session)), (5, Gen.Const(SignMode.None)),
        (1, Gen.OneOf(SignMode.BadCookie, SignMode.V2Header, SignMode.Expired, SignMode.TooFar, SignMode.WrongSecret, SignMode.UnknownLogin,
            SignMode.WrongChecksum, SignMode.WrongPath, SignMode.Twice)),
        (2, Gen.OneOf(SignMode.Mutated, SignMode.Garbage)));

    /// <summary>Replacements of one signature field, or whole garbage signatures.</summary>
    private static readonly Gen<string> Mutation = Gen.Frequency(
        (3, Gen.OneOf(Hostile)), (2, ShortText), (1, LongText.Select(s => s[..Math.Min(s.Length, 20_000)])),
        (1, Gen.OneOf("0", "2", "4", "99", "-1", "1.0", "3 ", "00000000000000000001", "9999999999999999999", "0x1", "|", "||", "1||x|y|1||", "1||x|y|99999999999999||")));

    private static readonly Gen<FuzzParam[]> ExtraHeaders = Gen.Frequency(
        (12, Gen.Const(Array.Empty<FuzzParam>())),
        (1, Gen.OneOf(
            new FuzzParam("Cookie", "bk_session=; bk_session=x"), new FuzzParam("X-Big", new string('b', 100 * 1024)), new FuzzParam("X-Huge", new string('b', 200 * 1024)),
            new FuzzParam("Content-Encoding", "gzip"), new FuzzParam("Transfer-Encoding", "gzip"), new FuzzParam("Accept", "text/html"),
            new FuzzParam("X-Forwarded-For", "1.2.3.4, \ud800"), new FuzzParam("Bad Header", "x"), new FuzzParam("Expect", "100-continue"),
            new FuzzParam("Connection", "close"), new FuzzParam("Upgrade", "websocket"), new FuzzParam("Content-Type", "text/plain"),
            new FuzzParam("X-Ctl", "a\u0001b"), new FuzzParam("X-Latin", "caf\u00e9")).Select(p => new[] { p })));

    private static readonly Gen<string?> Host = Gen.Frequency(
        (30, Gen.Const((string?)null)),
        (1, Gen.OneOf<string?>("", "localhost", "LOCALHOST:1", "a.b.example.com", "[::1]", "h\u00f4st", "x y", "127.0.0.1:99999", "a..b", new string('h', 300))));

    /// <summary>A whole request.</summary>
    public static readonly Gen<FuzzCase> Case =
        from path in PathGen
        from method in Method
        from realistic in Gen.Frequency((1, Gen.Const(false)), (1, Gen.Const(true)))
        from baseline in Gen.Frequency((3, Realistic(path)), (2, Realistic(path).SelectMany(Mutate)), (1, Gen.Const(Array.Empty<FuzzParam>()).SelectMany(_ => Many(path))))
        from query in ParamsFor(path.Names, realistic ? 2 : 7)
        from style in Gen.Frequency((8, Gen.Const(QueryStyle.Strict)), (3, Gen.Const(QueryStyle.Loose)), (1, Gen.Const(QueryStyle.Raw)))
        from body in Gen.Frequency((8, Gen.Const(BodyKind.None)), (6, Gen.Const(BodyKind.Form)), (6, Gen.Const(BodyKind.Json)), (2, Gen.Const(BodyKind.JsonText)),
            (2, Gen.Const(BodyKind.Multipart)), (1, Gen.Const(BodyKind.Raw)))
        from bodyParams in ParamsFor(path.Names, realistic ? 2 : 7)
        from bodyText in body switch
        {
            BodyKind.JsonText => JsonText,
            BodyKind.Multipart => Gen.Frequency((2, Gen.Const("")), (1, Gen.OneOf(Images).Select(b => FuzzText.FromBytes(b))), (1, ShortText)),
            BodyKind.Raw => Gen.Frequency((2, ShortText), (1, Gen.Byte.Array[0, 200].Select(b => FuzzText.FromBytes(b))), (1, JsonText)),
            _ => Gen.Const(""),
        }
        from contentType in Gen.Frequency((8, Gen.Const((string?)null)), (1, ContentType.Select(s => (string?)s)))
        from variant in Gen.Int[0, 1000]
        from caller in Gen.Frequency((6, Gen.Int[0, 3]), (2, Gen.Const(FuzzCase.AdminCaller)))
        from sign in Sign
        from field in Gen.Int[0, 6]
        from mutation in Mutation
        from length in Gen.Frequency((40, Gen.Const(LengthMode.Exact)), (2, Gen.Const(LengthMode.Chunked)),
            (1, Gen.OneOf(LengthMode.BadChunked, LengthMode.HugeClaim, LengthMode.ShortBody, LengthMode.Duplicate, LengthMode.NoLength)))
        from host in Host
        from headers in ExtraHeaders
        select new FuzzCase
        {
            Method = method,
            Path = path.Path,
            QueryStyle = style,
            // A realistic baseline goes where the body kind carries parameters (the query for GET and raw bodies).
            Query = realistic && (method == "GET" || body is not (BodyKind.Form or BodyKind.Json or BodyKind.Multipart)) ? [.. baseline, .. query] : query,
            Body = method == "GET" && body != BodyKind.None && variant % 4 != 0 ? BodyKind.None : body,
            BodyParams = realistic && method != "GET" && body is BodyKind.Form or BodyKind.Json or BodyKind.Multipart ? [.. baseline, .. bodyParams] : bodyParams,
            BodyText = bodyText,
            Variant = variant,
            ContentType = contentType,
            // The admin never deletes itself or changes its secret: the run needs it to the end.
            Caller = caller == FuzzCase.AdminCaller && FuzzApi.EndsAccount(path.Path) ? 0 : caller,
            Realistic = realistic,
            Sign = sign,
            MutatedField = field,
            Mutation = mutation,
            Length = length,
            Host = host,
            Headers = headers,
        };

    /// <summary>A well-formed call with one of its parameters given a hostile value or JSON shape (a key that is NUL,
    /// too long, empty, a number at the edge, an array...), so the value reaches the database layer.</summary>
    private static Gen<FuzzParam[]> Mutate(FuzzParam[] baseline) => baseline.Length == 0
        ? Gen.Const(baseline)
        : from i in Gen.Int[0, baseline.Length - 1]
          from value in Gen.Frequency((3, ValueFor(baseline[i].Name)), (2, Gen.OneOf(Hostile)), (1, LongText))
          from shape in Gen.Enum<JsonShape>()
          select (FuzzParam[])[.. baseline[..i], new FuzzParam(baseline[i].Name, value, shape), .. baseline[(i + 1)..]];

    /// <summary>Many parameters or values at once: long id lists, <c>in</c> lists, <c>_select</c> and <c>_ops</c> naming
    /// thousands of columns, thousands of distinct parameters.</summary>
    private static Gen<FuzzParam[]> Many(FuzzTarget target) =>
        from n in Gen.OneOf(999, 1000, 1001, 1500, 5000)
        from how in Gen.Int[0, 4]
        select how switch
        {
            0 => (FuzzParam[])[new("id", string.Join(',', Enumerable.Range(0, n).Select(i => i % 3 == 0 ? FuzzText.IdA.ToString() : "id" + i)), JsonShape.Array)],
            1 => [new("_select", string.Join(',', Enumerable.Range(0, n).Select(i => "c" + i))), new("id", FuzzText.IdA.ToString())],
            2 => [new("_ops", string.Join(',', Enumerable.Range(0, n).Select(i => $"c{i},eq"))), new("id", FuzzText.IdA.ToString())],
            3 => [new("id", string.Join(',', Enumerable.Range(0, n).Select(i => "id" + i))), new("_ops", "id,in"), .. target.Names.Take(1).Select(x => new FuzzParam(x, "1"))],
            _ => [.. Enumerable.Range(0, Math.Min(n, 1500)).Select(i => new FuzzParam("p" + i, "v")), new("id", FuzzText.IdB.ToString())],
        };

    private static string Base64Url(string text) => Convert.ToBase64String(FuzzText.ToBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Where a case goes: the path as sent, the documented template it is (empty for none), its table, and the
/// parameter names the endpoint reads.</summary>
/// <param name="Path">The path to send.</param>
/// <param name="Template">The documented template (<c>/data/get/TABLE</c>), or empty.</param>
/// <param name="Table">The table the endpoint works on, or null.</param>
/// <param name="Names">Its parameter names.</param>
public sealed record FuzzTarget(string Path, string Template, string? Table, string[] Names);
