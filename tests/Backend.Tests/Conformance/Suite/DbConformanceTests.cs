using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>The database conformance suite, written once and run per driver: a sealed subclass per target
/// (<c>SqliteConformance</c>, <c>PostgresConformance</c>, ...) so the driver's name is in every test name.
/// The suite is split into partial files by area under Conformance/Suite/:
/// Crud, Types, Select (conditions and operators), Paging, Bulk (UpdateAll, DelAll, List, Batch), Scan, Cache,
/// Schema (upgrades), Errors (bad input), Concurrency and Native (Search and Query).
/// <para>Rules every test follows so the suite runs on every driver, DynamoDB and Redis included: each test opens
/// its own tables (a unique prefix), uses only the <see cref="Db"/> facade, keeps composite keys to two columns
/// (hash + range) and indexes to a few columns, writes at most 250 rows (most tests 50 or fewer) and assumes no row
/// order beyond what the API promises (see <see cref="OrdersWholeTableSelects"/>).</para>
/// <para>What a driver may not support is expressed by the virtual capability properties below, which a driver's
/// subclass overrides; everything else is the one behaviour every driver must have.</para></summary>
public abstract partial class DbConformanceTests<TTarget>(TTarget target) : IClassFixture<TTarget>
    where TTarget : DbTarget
{
    /// <summary>The database under test.</summary>
    protected TTarget Target { get; } = target;

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- capabilities (a driver's subclass overrides these; defaults are the SQL behaviour) ----

    /// <summary>SQL drivers: <see cref="Db.Search"/> takes a WHERE clause, <see cref="Db.Query"/> any statement, and the
    /// <see cref="DbCompare.Like"/> operator exists. Other drivers only have to either run their own native text or
    /// answer a <see cref="DbException"/> with status 400 (malformed native request) or 501 (not supported by this
    /// driver).</summary>
    protected virtual bool IsSql => Target.Pool is "sqlite" or "pgsql" or "mysql";

    /// <summary><see cref="Db.Batch"/> is all-or-nothing when a write fails in the database (documented for SQL drivers;
    /// a DynamoDB driver using TransactWriteItems may override this to true).</summary>
    protected virtual bool HasAtomicBatch => IsSql;

    /// <summary>Whether the driver implements SQL LIKE patterns (with SQLite's semantics).</summary>
    protected virtual bool SupportsLike => IsSql;

    /// <summary>Select without an equality condition on the first key column (a whole-table select) returns rows ordered
    /// by the sort column and the primary key, as <see cref="Db.Select"/> documents. A driver that documents a
    /// different order for such selects (e.g. a DynamoDB Scan) overrides this to false: their rows are then compared
    /// as sets (still each exactly once) and the sort/desc tests on whole tables are skipped. Selects within one hash
    /// key are always checked in range-key order.</summary>
    protected virtual bool OrdersWholeTableSelects => true;

    /// <summary>Whether reals may use the whole double range. DynamoDB numbers are limited to magnitudes between
    /// 1E-130 and 1E+126: outside it such a driver must refuse the value (400) rather than store something else.</summary>
    protected virtual bool HasFullDoubleRange => true;

    // ---- tables ----

    /// <summary>A simple keyed table with one column of each type, an indexed text column and a now column.</summary>
    protected static void Items(TableRegistry tables, string prefix) => tables.Add(prefix + "items", t => t
        .Column("id", primary: true)
        .Column("name", pub: true, index: 1)
        .Column("n", ColumnType.Int)
        .Column("big", ColumnType.BigInt)
        .Column("score", ColumnType.Real)
        .Column("flag", ColumnType.Bool)
        .Column("doc", ColumnType.Json)
        .Column("hits", ColumnType.Counter)
        .Column("mtime", ColumnType.BigInt, now: true));

    /// <summary>One column of each type and two counters, no index, no defaults and no now column, so rows read back
    /// exactly as written.</summary>
    protected static void Plain(TableRegistry tables, string prefix) => tables.Add(prefix + "plain", t => t
        .Column("id", primary: true)
        .Column("name")
        .Column("n", ColumnType.Int)
        .Column("big", ColumnType.BigInt)
        .Column("score", ColumnType.Real)
        .Column("flag", ColumnType.Bool)
        .Column("doc", ColumnType.Json)
        .Column("hits", ColumnType.Counter)
        .Column("views", ColumnType.Counter));

    /// <summary>A two-column key: text hash key <c>a</c>, integer range key <c>b</c>.</summary>
    protected static void Pairs(TableRegistry tables, string prefix) => tables.Add(prefix + "pairs", t => t
        .Column("a", primary: true)
        .Column("b", ColumnType.Int, primary: true)
        .Column("v")
        .Column("n", ColumnType.Int)
        .Column("hits", ColumnType.Counter));

    /// <summary>Defaults, a now column and a length limit.</summary>
    protected static void Stamped(TableRegistry tables, string prefix) => tables.Add(prefix + "stamped", t => t
        .Column("id", primary: true)
        .Column("name")
        .Column("status", value: "new")
        .Column("level", ColumnType.Int, value: 1)
        .Column("active", ColumnType.Bool, value: true)
        .Column("tags", ColumnType.Json, value: "[\"a\"]")
        .Column("short", maxLength: 10)
        .Column("mtime", ColumnType.BigInt, now: true));

    /// <summary>An integer key and a few sortable columns (some NULL) for paging.</summary>
    protected static void Scores(TableRegistry tables, string prefix) => tables.Add(prefix + "scores", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("score", ColumnType.Int)
        .Column("ratio", ColumnType.Real)
        .Column("name")
        .Column("maybe", ColumnType.Int));

    /// <summary>Describes several tables at once.</summary>
    protected static Action<TableRegistry, string> With(params Action<TableRegistry, string>[] describes) => (tables, prefix) =>
    {
        foreach (var d in describes) d(tables, prefix);
    };

    // ---- helpers ----

    /// <summary>A row from name/value pairs.</summary>
    protected static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    /// <summary>A copy of the row without the given columns (for comparing rows that have a now column).</summary>
    protected static DbRow Without(DbRow? row, params string[] columns)
    {
        Assert.NotNull(row);
        var copy = new DbRow(row);
        foreach (var c in columns) copy.Remove(c);
        return copy;
    }

    /// <summary>Puts many rows with a few writes in flight (keeps network drivers fast).</summary>
    protected static Task PutAll(Db db, string table, IEnumerable<DbRow> rows) =>
        Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (row, ct) => await db.PutAsync(table, row, ct));

    /// <summary>Asserts the call fails with a <see cref="DbException"/> of the given status.</summary>
    protected static async Task<DbException> AssertStatus(int status, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<DbException>(call);
        Assert.True(ex.Status == status, $"expected status {status}, got {ex.Status}: {ex.Message}");
        return ex;
    }

    /// <summary>True when two row values are the same value of the same type (JSON compared deeply).</summary>
    protected static bool Same(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (JsonNode e, JsonNode a) => JsonNode.DeepEquals(e, a),
        (null, _) or (_, null) => false,
        _ => expected.GetType() == actual.GetType() && expected.Equals(actual),
    };

    /// <summary>Describes a value with its type for failure messages.</summary>
    protected static string Show(object? value) => value switch
    {
        null => "null",
        JsonNode n => $"{n.ToJsonString()} ({n.GetType().Name})",
        string s when s.Length > 60 => $"\"{s[..60]}...\" (string, {s.Length} chars)",
        _ => $"{value} ({value.GetType().Name})",
    };

    /// <summary>Fails with every collected mismatch at once.</summary>
    protected static void AssertNone(List<string> mismatches) =>
        Assert.True(mismatches.Count == 0, mismatches.Count + " mismatch(es):\n" + string.Join("\n", mismatches));

    /// <summary>Asserts the ids of a whole-table select: in order when the driver orders such selects, else as a set
    /// with no repeats (see <see cref="OrdersWholeTableSelects"/>).</summary>
    protected void AssertWholeTableOrder<T>(IEnumerable<T> expected, IEnumerable<T> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        if (OrdersWholeTableSelects)
        {
            Assert.Equal(e, a);
            return;
        }
        Assert.Equal(a.Count, a.Distinct().Count());
        Assert.Equal(e.Order(), a.Order());
    }

    /// <summary>Follows paging tokens until the empty one; returns every page.</summary>
    protected static async Task<List<List<DbRow>>> AllPages(Db db, string table, object? query, Func<DbOptions> options)
    {
        var pages = new List<List<DbRow>>();
        string? token = null;
        do
        {
            var o = options();
            o.Start = token;
            var result = await db.SelectAsync(table, query, o, Ct);
            pages.Add(result.Rows);
            token = result.NextToken;
            Assert.True(pages.Count <= 300, "paging does not end");
        }
        while (token.Length > 0);
        return pages;
    }

    /// <summary>Current time in milliseconds.</summary>
    protected static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Fact]
    public async Task Put_then_get_returns_the_row()
    {
        await using var t = await Target.OpenAsync(Items);
        await t.Db.PutAsync(t.T("items"), new { id = "a", name = "Alpha", n = 5 }, Ct);
        var row = await t.Db.GetAsync(t.T("items"), new { id = "a" }, Ct);
        Assert.NotNull(row);
        Assert.Equal("Alpha", row["name"]);
        Assert.Equal(5L, row["n"]);
        Assert.True(row.GetLong("mtime") > 0);
    }

    [Fact]
    public async Task Get_of_a_missing_row_is_null()
    {
        await using var t = await Target.OpenAsync(Items);
        Assert.Null(await t.Db.GetAsync(t.T("items"), new { id = "nope" }, Ct));
    }
}
