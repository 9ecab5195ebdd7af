using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Backend.Hosting;

namespace Backend.Benchmarks;

/// <summary>The one table every driver is benchmarked on: a composite key (grp, id) so "the rows of one group" is a
/// key-prefix select on every driver (SQL: the primary key index; DynamoDB: a Query on the hash key; Redis: a prefix
/// range of the PK ZSET), and six value columns of every scalar type.</summary>
public static class BenchTable
{
    /// <summary>Table name (the same on every server; rows are written with Put, so reruns just overwrite them).</summary>
    public const string Name = "bench_db_rows";

    /// <summary>Rows seeded.</summary>
    public const int Rows = 1000;

    /// <summary>Rows per group: exactly the page size of the Select benchmark, so a 20-row page is the whole group
    /// and the facade (which asks for count + 1 rows to know whether there is a next page) gets 20 rows and no token.</summary>
    public const int GroupSize = 20;

    /// <summary>Number of groups.</summary>
    public const int Groups = Rows / GroupSize;

    /// <summary>Columns in table order (what every driver's SELECT list / row holds).</summary>
    public static readonly string[] Columns = ["grp", "id", "name", "score", "qty", "active", "note", "mtime"];

    /// <summary>A 100-character text value, so rows are not trivially small.</summary>
    public static readonly string Note = string.Concat(Enumerable.Repeat("lorem ipsum ", 9)) + "dolor si";

    /// <summary>Describes the table.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Name, t => t
            .Column("grp", ColumnType.Text, primary: true)
            .Column("id", ColumnType.BigInt, primary: true)
            .Column("name")
            .Column("score", ColumnType.Real)
            .Column("qty", ColumnType.Int)
            .Column("active", ColumnType.Bool)
            .Column("note")
            .Column("mtime", ColumnType.BigInt));
    }

    /// <summary>The group of a row id: "g000".."g049".</summary>
    public static string Group(long id) => "g" + (id / GroupSize).ToString("D3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The group names, precomputed (the benchmarks do not measure string formatting).</summary>
    public static readonly string[] GroupNames = [.. Enumerable.Range(0, Groups).Select(g => Group(g * GroupSize))];

    /// <summary>Values of the non-key columns of row <paramref name="id"/>; <paramref name="version"/> goes to mtime.</summary>
    public static (string Name, double Score, long Qty, bool Active, string Note, long Mtime) Values(long id, long version) =>
        (Names[id], id * 0.25, id % 97, id % 2 == 0, Note, 1_700_000_000_000 + version);

    private static readonly string[] Names = [.. Enumerable.Range(0, Rows).Select(i => "name-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A whole row for the facade.</summary>
    public static DbRow Row(long id, long version)
    {
        var v = Values(id, version);
        return new DbRow
        {
            ["grp"] = GroupNames[id / GroupSize],
            ["id"] = id,
            ["name"] = v.Name,
            ["score"] = v.Score,
            ["qty"] = v.Qty,
            ["active"] = v.Active,
            ["note"] = v.Note,
            ["mtime"] = v.Mtime,
        };
    }

    /// <summary>The configuration a server process would have (defaults: 20 connections, 3000 ms connect timeout).</summary>
    public static BackendConfig Config(string pool, string url, string home) =>
        BackendConfig.Load(["-home", home, "-log", "none", $"-db-{pool}-pool", url], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());

    /// <summary>The URL of a pool's server: <c>BKCS_TEST_POOL_URL_{POOL}</c>, else the line scripts/servers wrote to
    /// <c>$BKCS_SERVERS_DIR/servers.env</c> (the same lookup as the conformance tests).</summary>
    public static string ServerUrl(string pool)
    {
        if (Environment.GetEnvironmentVariable("BKCS_TEST_POOL_URL_" + pool.ToUpperInvariant()) is { Length: > 0 } url) return url;
        var dir = Environment.GetEnvironmentVariable("BKCS_SERVERS_DIR") is { Length: > 0 } d ? d : "/tmp/backendcs-servers";
        var file = Path.Combine(dir, "servers.env");
        if (File.Exists(file))
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3 && parts[0] == pool) return parts[2];
            }
        }
        throw new InvalidOperationException($"no {pool} server: run scripts/servers start {pool} (or set BKCS_TEST_POOL_URL_{pool.ToUpperInvariant()})");
    }

    /// <summary>A Db over one driver (created through its factory, as the server does) with the table initialised.</summary>
    public static async Task<Db> OpenAsync(IDbDriverFactory factory, string url, string home)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Directory.CreateDirectory(home);
        var driver = factory.Create(BackendApplicationBuilder.PoolSettings(Config(factory.Kind, url, home), factory.Kind, url), NullLoggerFactory.Instance);
        var tables = new TableRegistry();
        Describe(tables);
        var pools = new DbPools(factory.Kind);
        pools.Add(driver);
        var db = new Db(tables, pools);
        await db.InitAsync();
        return db;
    }
}
