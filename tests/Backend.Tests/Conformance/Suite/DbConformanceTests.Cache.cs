using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>GetCached: the read-through cache answers repeated reads without the database, and writes made with
/// <see cref="DbOptions.Cached"/> (or to a table listed in -db-caching) drop what they change.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    private static readonly DbOptions CachedWrite = new() { Cached = true };

    /// <summary>Opens Plain and Pairs over a driver that counts the Gets reaching the database.</summary>
    private async Task<(TestDb Db, GatedDriver Driver)> OpenCounted()
    {
        var driver = new GatedDriver(Target.CreateDriver());
        return (await Target.OpenAsync(With(Plain, Pairs), driver), driver);
    }

    [Fact]
    public async Task GetCached_hits_after_the_first_read()
    {
        var (t, driver) = await OpenCounted();
        await using var _ = t;
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct));
        Assert.Equal(1, driver.Gets);
        for (var i = 0; i < 3; i++) Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCachedAsync(t.T("plain"), new { id = "a" }, Ct));
        Assert.Equal(1, driver.Gets);

        // A write without Cached does not touch the cache: the hit still returns the old row.
        await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("name", "B")), Ct);
        Assert.Equal("A", (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
        Assert.Equal("B", (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task A_write_with_Cached_invalidates()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var mismatches = new List<string>();
        async Task Check(string step, string? expectedName)
        {
            var row = await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct);
            if (row?.GetString("name") != expectedName || (expectedName is null && row is not null))
                mismatches.Add($"after {step}: {(row is null ? "no row" : row.GetString("name"))}, expected {expectedName ?? "no row"}");
        }
        await Check("nothing", null);
        await t.Db.AddAsync(table, Row(("id", "a"), ("name", "added")), CachedWrite, Ct);
        await Check("add", "added");
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "put")), CachedWrite, Ct);
        await Check("put", "put");
        await t.Db.UpdateAsync(table, Row(("id", "a"), ("name", "updated")), CachedWrite, Ct);
        await Check("update", "updated");
        await t.Db.IncrAsync(table, Row(("id", "a"), ("hits", 1), ("name", "incr")), CachedWrite, Ct);
        await Check("incr", "incr");
        await t.Db.ReplaceAsync(table, Row(("id", "a"), ("name", "replaced")), CachedWrite, Ct);
        await Check("replace", "replaced");
        await t.Db.DelAsync(table, Row(("id", "a")), CachedWrite, Ct);
        await Check("del", null);
        AssertNone(mismatches);
    }

    [Fact]
    public async Task A_cached_write_drops_only_its_own_row()
    {
        var (t, driver) = await OpenCounted();
        await using var _ = t;
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "one")), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 2), ("v", "two")), Ct);
        await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.UpdateAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "uno")), CachedWrite, Ct);
        Assert.Equal("uno", (await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", "1")), Ct))?["v"]);
        Assert.Equal("two", (await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct))?["v"]);
        Assert.Equal(3, driver.Gets);
    }

    [Fact]
    public async Task UpdateAll_DelAll_and_Batch_with_Cached_invalidate()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await PutAll(t.Db, table, [Row(("id", "a"), ("name", "x")), Row(("id", "b"), ("name", "x")), Row(("id", "c"), ("name", "y"))]);
        foreach (var id in new[] { "a", "b", "c" }) await t.Db.GetCachedAsync(table, Row(("id", id)), Ct);

        await t.Db.UpdateAllAsync(table, Row(("name", "x")), Row(("n", 1)), CachedWrite, Ct);
        Assert.Equal(1L, (await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct))?["n"]);
        Assert.Equal(1L, (await t.Db.GetCachedAsync(table, Row(("id", "b")), Ct))?["n"]);

        await t.Db.DelAllAsync(table, Row(("name", "x")), CachedWrite, Ct);
        Assert.Null(await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct));
        Assert.NotNull(await t.Db.GetCachedAsync(table, Row(("id", "c")), Ct));

        await t.Db.BatchAsync([new DbBatchItem(DbOperation.Update, table, Row(("id", "c"), ("name", "batched"))), new DbBatchItem(DbOperation.Add, table, Row(("id", "a"), ("name", "back")))], CachedWrite, Ct);
        Assert.Equal("batched", (await t.Db.GetCachedAsync(table, Row(("id", "c")), Ct))?["name"]);
        Assert.Equal("back", (await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task A_table_listed_for_caching_is_invalidated_by_every_write()
    {
        await using var t = await Target.OpenAsync(With(Plain, Pairs));
        t.Db.Cache.CacheTables([t.T("plain")]);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal("A", (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
        await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("name", "B")), Ct);
        Assert.Equal("B", (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
        await t.Db.UpdateAllAsync(t.T("plain"), Row(("name", "B")), Row(("name", "C")), Ct);
        Assert.Equal("C", (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);

        // Other tables keep the explicit-option behaviour.
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "1")), Ct);
        await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.UpdateAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "2")), Ct);
        Assert.Equal("1", (await t.Db.GetCachedAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct))?["v"]);
    }

    [Fact]
    public async Task GetCached_returns_copies_the_caller_may_change()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        var first = (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))!;
        first["name"] = "changed by the caller";
        first.Remove("id");
        var second = (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))!;
        Assert.Equal(Row(("id", "a"), ("name", "A")), second);
        second["name"] = "changed again";
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task GetCached_json_values_are_copies_too()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("doc", "{\"x\":1}")), Ct);
        var miss = (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))!;
        ((JsonObject)miss["doc"]!)["x"] = "changed after the miss";
        var hit = (await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))!;
        Assert.Equal("{\"x\":1}", ((JsonNode)hit["doc"]!).ToJsonString());
        ((JsonObject)hit["doc"]!)["x"] = "changed after a hit";
        Assert.Equal("{\"x\":1}", ((JsonNode)(await t.Db.GetCachedAsync(t.T("plain"), Row(("id", "a")), Ct))!["doc"]!).ToJsonString());
    }

    [Fact]
    public async Task GetCached_runs_row_processors_on_hits_too()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        t.Db.SetProcessRow(table, (row, _, _) => row["computed"] = "seen " + row.GetString("id"));
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal("seen a", (await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct))?["computed"]);
        Assert.Equal("seen a", (await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct))?.GetValueOrDefault("computed"));
    }

    [Fact]
    public async Task GetCached_with_select_does_not_serve_partial_rows_to_other_reads()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        Assert.Equal(Row(("n", 5L)), await t.Db.GetCachedAsync(table, Row(("id", "a")), new DbOptions { Select = ["n"] }, Ct));
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 5L)), await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task A_cached_write_during_a_cache_miss_is_not_lost()
    {
        var (t, driver) = await OpenCounted();
        await using var _ = t;
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "old")), Ct);

        // The miss reads "old", then the write lands and drops the (not yet stored) entry, then the miss stores "old".
        var hold = driver.HoldNextGet();
        var read = t.Db.GetCachedAsync(table, Row(("id", "a")), Ct).AsTask();
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "new")), CachedWrite, Ct);
        hold.Release();
        Assert.Equal("old", (await read)?["name"]); // that read began before the write: fine

        Assert.Equal("new", (await t.Db.GetCachedAsync(table, Row(("id", "a")), Ct))?["name"]);
    }
}
