using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>The shared options of calls made without options (<see cref="DbOptions.None"/>) cannot be changed, so one
/// call can never change another's; copies of them can.</summary>
public sealed class DbOptionsTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_shared_empty_options_refuse_every_change()
    {
        var none = DbOptions.None;
        Assert.Throws<InvalidOperationException>(() => none.Select = ["a"]);
        Assert.Throws<InvalidOperationException>(() => none.Count = 1);
        Assert.Throws<InvalidOperationException>(() => none.Start = "t");
        Assert.Throws<InvalidOperationException>(() => none.Desc = true);
        Assert.Throws<InvalidOperationException>(() => none.Sort = "a");
        Assert.Throws<InvalidOperationException>(() => none.Pool = "p");
        Assert.Throws<InvalidOperationException>(() => none.Cached = true);
        Assert.Throws<InvalidOperationException>(() => none.NoProcessRows = true);
        Assert.Throws<InvalidOperationException>(() => none.Ops);
        Assert.Throws<InvalidOperationException>(() => none.Op("a", DbCompare.Gt));
        Assert.Equal(DbCompare.Eq, none.OpFor("a"));
        Assert.Null(none.Select);
        Assert.Null(none.Count);
    }

    [Fact]
    public void A_copy_of_the_shared_options_can_be_changed_and_leaves_them_alone()
    {
        var copy = DbOptions.None.Clone();
        copy.Count = 5;
        copy.Op("a", DbCompare.Gt);
        Assert.Equal(5, copy.Count);
        Assert.Equal(DbCompare.Gt, copy.OpFor("a"));
        Assert.Null(DbOptions.None.Count);
        Assert.Equal(DbCompare.Eq, DbOptions.None.OpFor("a"));
    }

    [Fact]
    public async Task A_row_processor_sees_options_on_calls_made_without_any()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("options"), All);
        DbOptions? seen = null;
        t.Db.SetProcessRow(Items, (_, options, _) => seen = options);
        await t.Db.PutAsync(Items, new DbRow { ["id"] = "a" }, Ct);
        Assert.NotNull(await t.Db.GetAsync(Items, new DbRow { ["id"] = "a" }, Ct));
        Assert.NotNull(seen);
        Assert.False(seen.NoProcessRows);
    }

    [Fact]
    public async Task A_get_with_a_cancelled_token_is_cancelled()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("cancel"), All);
        await t.Db.PutAsync(Items, new DbRow { ["id"] = "a" }, Ct);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Db.GetAsync(Items, new DbRow { ["id"] = "a" }, cts.Token).AsTask());
    }
}
