using System.Text.RegularExpressions;
using Backend.Api;
using Backend.Data;

namespace Backend.Tests.Fuzz;

/// <summary>One endpoint as the fuzzer knows it: its path (a template for the data API: <c>TABLE</c>, <c>OP</c>), the
/// parameters it reads besides the column values of its tables, and those tables.</summary>
/// <param name="Path">The documented path.</param>
/// <param name="Params">Parameter names the endpoint reads (options included).</param>
/// <param name="Tables">Tables whose columns are also its parameters.</param>
public sealed record FuzzEndpoint(string Path, string[] Params, string[] Tables);

/// <summary>The API in one place, for the generators: every endpoint of docs/api.md with its parameters, the data
/// API's operations, and the real table descriptions (<see cref="BuiltInApis.Describe"/>, so column names and types
/// are the server's own). <see cref="FuzzCatalogTests"/> fails when docs/api.md documents an endpoint this list
/// lacks, or the other way round.</summary>
public static partial class FuzzApi
{
    /// <summary>The options of select-like endpoints.</summary>
    public static readonly string[] CommonOptions = ["_count", "_start", "_token", "_select", "_ops", "_desc", "_sort"];

    /// <summary>Every boolean-ish option of any endpoint.</summary>
    public static readonly string[] Flags =
    [
        "_session", "_details", "_archive", "_trash", "_nosent", "_noreference", "_nocounter", "_publish", "_connected",
        "_noprocessrows", "_noscan", "_desc",
    ];

    private static readonly string[] IconPut = ["type", "icon", "acl_allow", "_width", "_height", "_ext", "_quality"];

    /// <summary>The operations of <c>/data/OP/TABLE</c>.</summary>
    public static readonly string[] DataOps = ["get", "select", "search", "list", "add", "put", "update", "incr", "replace", "del"];

    private static readonly string[] Select = [.. CommonOptions];
    private static readonly string[] Connection = ["id", "type", "state", "_details", "_noprocessrows", "_select"];
    private static readonly string[] MessageBox = ["sender", "mtime", "msg", "_archive", "_trash", "_details", .. Select];

    /// <summary>Every documented endpoint.</summary>
    public static readonly FuzzEndpoint[] Endpoints =
    [
        new("/ping", [], []),
        new("/account/add", ["login", "secret", "name", "type", "acl_deny", "acl_allow", "expires"], ["bk_account"]),
        new("/account/get", ["id", "_session"], []),
        new("/account/select", Select, ["bk_account"]),
        new("/account/update", [], ["bk_account"]),
        new("/account/del", [], []),
        new("/account/put/secret", ["secret"], []),
        new("/account/subscribe", ["match"], []),
        new("/connection/add", [.. Connection, "_noreference", "_nocounter", "_publish", "_connected"], ["bk_connection"]),
        new("/connection/put", [.. Connection, "_noreference", "_nocounter", "_publish", "_connected"], ["bk_connection"]),
        new("/connection/update", Connection, ["bk_connection"]),
        new("/connection/incr", Connection, ["bk_connection"]),
        new("/connection/del", [.. Connection, "_nocounter"], ["bk_connection"]),
        new("/connection/get", Connection, ["bk_connection"]),
        new("/connection/select", [.. Connection, .. Select], ["bk_connection"]),
        new("/reference/get", Connection, ["bk_reference"]),
        new("/reference/select", [.. Connection, .. Select], ["bk_reference"]),
        new("/counter/get", ["id"], ["bk_counter"]),
        new("/counter/put", ["id"], ["bk_counter"]),
        new("/counter/incr", ["id", "_publish"], ["bk_counter"]),
        new("/location/put", ["latitude", "longitude", "location"], ["bk_location"]),
        new("/location/get", ["latitude", "longitude", "distance", "_count", "_start", "_token", "_details"], ["bk_location"]),
        new("/message/add", ["id", "msg", "icon", "_nosent", "_publish"], ["bk_message"]),
        new("/message/get", MessageBox, ["bk_message"]),
        new("/message/get/archive", MessageBox, ["bk_archive"]),
        new("/message/get/sent", ["recipient", "mtime", "msg", "_details", .. Select], ["bk_sent"]),
        new("/message/archive", ["sender", "mtime"], ["bk_message"]),
        new("/message/del", ["sender", "mtime"], ["bk_message"]),
        new("/message/del/archive", ["sender", "mtime"], ["bk_archive"]),
        new("/message/del/sent", ["recipient", "mtime"], ["bk_sent"]),
        new("/message/image", ["sender", "mtime", "recipient"], []),
        new("/account/put/icon", IconPut, ["bk_icon"]),
        new("/account/get/icon", ["id", "type", "size"], ["bk_icon"]),
        new("/account/select/icon", ["id"], ["bk_icon"]),
        new("/account/del/icon", ["type"], ["bk_icon"]),
        new("/image/PREFIX/ID/TYPE", ["size"], ["bk_icon"]),
        new("/image/uploads/HASH/PREFIX/NAME", [], []),
        new("/icon/put", [.. IconPut, "prefix", "descr", "latitude", "longitude"], ["bk_icon"]),
        new("/icon/get", ["id", "prefix", "type", "size"], ["bk_icon"]),
        new("/icon/upload", [.. IconPut, "prefix"], []),
        new("/icon/select", ["id", "prefix", "type"], ["bk_icon"]),
        new("/icon/del", ["prefix", "type"], ["bk_icon"]),
        new("/status/put", ["status", "id"], ["bk_status"]),
        new("/status/get", ["id"], ["bk_status"]),
        new("/status/del", ["id"], ["bk_status"]),
        new("/device/add", ["device_id"], []),
        new("/device/get", [], []),
        new("/device/del", ["device_id"], []),
        new("/push/notify", ["id", "msg", "title", "badge", "prefix", "sound", "kind", "offline"], []),
        new("/file/get", ["prefix", "name"], []),
        new("/file/put", ["prefix", "name", "_name", "_tm", "_ext", "data"], []),
        new("/file/del", ["prefix", "name"], []),
        new("/data/columns", [], []),
        new("/data/columns/TABLE", [], []),
        new("/data/keys/TABLE", [], []),
        new("/data/OP/TABLE", [.. Select, "_noscan", "_noprocessrows", "_query"], []),
        .. new[] { "get", "put", "set", "incr", "del", "keys", "clear", "init", "stats" }
            .Select(op => new FuzzEndpoint($"/system/cache/{op}", ["name", "value", "ttl", "pattern", "_count"], [])),
        // (subscribe waits for its timeout, 1 s by default, when an admin calls it: the timeout is not fuzzed)
        .. new[] { "msg", "publish", "subscribe", "stats" }.Select(op => new FuzzEndpoint($"/system/msg/{op}", ["channel", "msg"], [])),
        .. new[] { "submit", "runs", "queue", "list" }.Select(op => new FuzzEndpoint($"/system/jobs/{op}", ["name", "args", "tag", "status", "_count", "_start"], [])),
        new("/system/restart", [], []),
        new("/system/stats/get", [], []),
    ];

    /// <summary>The tables of the built-in modules, described exactly as the server describes them.</summary>
    public static TableRegistry Tables { get; } = Describe();

    /// <summary>Names of every described table.</summary>
    public static string[] TableNames { get; } = [.. Tables.All.Select(t => t.Name).Order(StringComparer.Ordinal)];

    /// <summary>Every column name of every table, once.</summary>
    public static string[] ColumnNames { get; } = [.. Tables.All.SelectMany(t => t.Columns).Select(c => c.Name).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The type of a column of that name in any table (the first found), or null.</summary>
    public static ColumnType? TypeOf(string name) => Tables.All.SelectMany(t => t.Columns).FirstOrDefault(c => c.Name == name)?.Type;

    /// <summary>Templates whose path segments name stored state the generator cannot know (an owner's id and an icon
    /// type, an upload's random name): sent as written, they can only be 400 or 404, so they are left out of the count
    /// of endpoints that answered 2xx (the paths themselves are still fuzzed).</summary>
    public static readonly string[] NoOkExpected = ["/image/PREFIX/ID/TYPE", "/image/uploads/HASH/PREFIX/NAME"];

    /// <summary>The documented paths with <c>OP</c> expanded to each operation (<c>TABLE</c> kept as the placeholder).</summary>
    public static IReadOnlySet<string> Templates { get; } = Endpoints
        .SelectMany(e => e.Path.Contains("/OP/", StringComparison.Ordinal) ? DataOps.Select(op => e.Path.Replace("/OP/", "/" + op + "/", StringComparison.Ordinal)) : [e.Path])
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>True when a request to the path could delete the caller's account or change its secret (whatever the
    /// case, slashes or percent-encoding): the run must then replace the account.</summary>
    public static bool EndsAccount(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            decoded = path;
        }
        var p = Slashes().Replace(decoded.ToLowerInvariant().Replace('\\', '/'), "/");
        return p.Contains("account/del", StringComparison.Ordinal) || p.Contains("put/secret", StringComparison.Ordinal);
    }

    private static TableRegistry Describe()
    {
        var tables = new TableRegistry();
        BuiltInApis.Describe(tables);
        return tables;
    }

    /// <summary>The endpoint paths docs/api.md documents: every <c>/path</c> in a heading, <c>/data/OP/TABLE</c>
    /// expanded with the operations of its table (<c>| `op` |</c> rows).</summary>
    public static IReadOnlySet<string> DocumentedTemplates(string apiMarkdown)
    {
        ArgumentNullException.ThrowIfNull(apiMarkdown);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var ops = new List<string>();
        var inOps = false;
        foreach (var line in apiMarkdown.Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                inOps = line.Contains("/OP/", StringComparison.Ordinal);
                foreach (Match m in PathInHeading().Matches(line)) paths.Add(m.Value);
            }
            else if (inOps && OpRow().Match(line) is { Success: true } row)
            {
                ops.Add(row.Groups[1].Value);
            }
        }
        foreach (var template in paths.Where(p => p.Contains("/OP/", StringComparison.Ordinal)).ToList())
        {
            paths.Remove(template);
            foreach (var op in ops) paths.Add(template.Replace("/OP/", "/" + op + "/", StringComparison.Ordinal));
        }
        return paths;
    }

    [GeneratedRegex("/+")]
    private static partial Regex Slashes();

    [GeneratedRegex(@"/[a-z]+(?:/[A-Za-z]+)*")]
    private static partial Regex PathInHeading();

    [GeneratedRegex(@"^\|\s*`([a-z]+)`\s*\|")]
    private static partial Regex OpRow();
}
