using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.DynamoDb;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Tables and helpers of the DynamoDB driver tests (run against dynalite: scripts/servers start dynamodb).</summary>
public abstract class DynamoDbTestBase(DynamoDbTarget target) : IClassFixture<DynamoDbTarget>
{
    protected DynamoDbTarget Target { get; } = target;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One column of each type; name has an index (a GSI hash key).</summary>
    public static void Items(TableRegistry tables, string prefix) => tables.Add(prefix + "items", t => t
        .Column("id", primary: true)
        .Column("name", index: 1)
        .Column("n", ColumnType.Int)
        .Column("big", ColumnType.BigInt)
        .Column("score", ColumnType.Real)
        .Column("flag", ColumnType.Bool)
        .Column("doc", ColumnType.Json)
        .Column("hits", ColumnType.Counter));

    /// <summary>A composite key (hash a, range b) and a two-column index (v, w) whose range w may be missing.</summary>
    public static void Pairs(TableRegistry tables, string prefix) => tables.Add(prefix + "pairs", t => t
        .Column("a", primary: true)
        .Column("b", ColumnType.Int, primary: true)
        .Column("v", index: 1)
        .Column("w", ColumnType.Int, index: 1)
        .Column("s", ColumnType.Real));

    /// <summary>An index on (account, mtime) where mtime is a now column, so the index has every row.</summary>
    public static void Events(TableRegistry tables, string prefix) => tables.Add(prefix + "events", t => t
        .Column("id", primary: true)
        .Column("account", index: 1)
        .Column("mtime", ColumnType.BigInt, now: true, index: 1)
        .Column("kind", index: 2)
        .Column("active", ColumnType.Bool, index: 3)
        .Column("n", ColumnType.Int));

    public static void All(TableRegistry tables, string prefix)
    {
        Items(tables, prefix);
        Pairs(tables, prefix);
        Events(tables, prefix);
    }

    /// <summary>A Db over fresh tables.</summary>
    protected Task<TestDb> OpenAsync(Action<TableRegistry, string>? describe = null, params string[] args) =>
        Target.OpenAsync(describe ?? All, Target.CreateDriver(args));

    /// <summary>The driver behind a test Db.</summary>
    private protected static DynamoDbDriver Driver(TestDb t) => (DynamoDbDriver)t.Db.Pools.All.Single();

    public static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    /// <summary>A row as comparable text: columns sorted, values tagged with their type.</summary>
    public static string Canon(DbRow row)
    {
        var sb = new StringBuilder("{");
        foreach (var (k, v) in row.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(k).Append('=').Append(v switch
            {
                null => "null",
                JsonNode n => "json:" + n.ToJsonString(),
                double d => "d:" + d.ToString("R", CultureInfo.InvariantCulture),
                long l => "l:" + l.ToString(CultureInfo.InvariantCulture),
                bool b => "b:" + b,
                string s => "s:" + s,
                _ => v.GetType().Name + ":" + v,
            }).Append(';');
        }
        return sb.Append('}').ToString();
    }

    /// <summary>Follows the tokens to the end; returns every page.</summary>
    public static async Task<List<DbResult>> AllPages(Db db, string table, DbRow? query, Func<DbOptions> options)
    {
        var pages = new List<DbResult>();
        string? token = null;
        do
        {
            var o = options();
            o.Start = token;
            var result = await db.SelectAsync(table, query, o, Ct);
            pages.Add(result);
            token = result.NextToken;
            Assert.True(pages.Count <= 200, "paging does not end");
        }
        while (token != "");
        return pages;
    }
}
