using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>The database conformance suite, written once and run per driver: a sealed subclass per target
/// (<c>SqliteConformance</c>, <c>PgsqlConformance</c>, ...) so the driver's name is in every test name.
/// The suite is split into partial files by area under Conformance/Suite/.</summary>
public abstract partial class DbConformanceTests<TTarget>(TTarget target) : IClassFixture<TTarget>
    where TTarget : DbTarget
{
    /// <summary>The database under test.</summary>
    protected TTarget Target { get; } = target;

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A simple keyed table with one column of each type, used by many tests.</summary>
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

    [Fact]
    public async Task Put_then_get_returns_the_row()
    {
        await using var t = await Target.OpenAsync(Items);
        await t.Db.Put(t.T("items"), new { id = "a", name = "Alpha", n = 5 }, null, Ct);
        var row = await t.Db.Get(t.T("items"), new { id = "a" }, null, Ct);
        Assert.NotNull(row);
        Assert.Equal("Alpha", row["name"]);
        Assert.Equal(5L, row["n"]);
        Assert.True(row.GetLong("mtime") > 0);
    }

    [Fact]
    public async Task Get_of_a_missing_row_is_null()
    {
        await using var t = await Target.OpenAsync(Items);
        Assert.Null(await t.Db.Get(t.T("items"), new { id = "nope" }, null, Ct));
    }
}
