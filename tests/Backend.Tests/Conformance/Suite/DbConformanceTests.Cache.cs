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
        await t.Db.Put(t.T("plain"), Row(("id", "a"), ("name", "A")), null, Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct));
        Assert.Equal(1, driver.Gets);
        for (var i = 0; i < 3; i++) Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCached(t.T("plain"), new { id = "a" }, null, Ct));
        Assert.Equal(1, driver.Gets);

        // A write without Cached does not touch the cache: the hit still returns the old row.
        await t.Db.Update(t.T("plain"), Row(("id", "a"), ("name", "B")), null, Ct);
        Assert.Equal("A", (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
        Assert.Equal("B", (await t.Db.Get(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
    }

    [Fact]
    public async Task A_write_with_Cached_invalidates()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var mismatches = new List<string>();
        async Task Check(string step, string? expectedName)
        {
            var row = await t.Db.GetCached(table, Row(("id", "a")), null, Ct);
            if (row?.GetString("name") != expectedName || (expectedName is null && row is not null))
                mismatches.Add($"after {step}: {(row is null ? "no row" : row.GetString("name"))}, expected {expectedName ?? "no row"}");
        }
        await Check("nothing", null);
        await t.Db.Add(table, Row(("id", "a"), ("name", "added")), CachedWrite, Ct);
        await Check("add", "added");
        await t.Db.Put(table, Row(("id", "a"), ("name", "put")), CachedWrite, Ct);
        await Check("put", "put");
        await t.Db.Update(table, Row(("id", "a"), ("name", "updated")), CachedWrite, Ct);
        await Check("update", "updated");
        await t.Db.Incr(table, Row(("id", "a"), ("hits", 1), ("name", "incr")), CachedWrite, Ct);
        await Check("incr", "incr");
        await t.Db.Replace(table, Row(("id", "a"), ("name", "replaced")), CachedWrite, Ct);
        await Check("replace", "replaced");
        await t.Db.Del(table, Row(("id", "a")), CachedWrite, Ct);
        await Check("del", null);
        AssertNone(mismatches);
    }

    [Fact]
    public async Task A_cached_write_drops_only_its_own_row()
    {
        var (t, driver) = await OpenCounted();
        await using var _ = t;
        await t.Db.Put(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "one")), null, Ct);
        await t.Db.Put(t.T("pairs"), Row(("a", "x"), ("b", 2), ("v", "two")), null, Ct);
        await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", 1)), null, Ct);
        await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", 2)), null, Ct);
        await t.Db.Update(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "uno")), CachedWrite, Ct);
        Assert.Equal("uno", (await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", "1")), null, Ct))?["v"]);
        Assert.Equal("two", (await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", 2)), null, Ct))?["v"]);
        Assert.Equal(3, driver.Gets);
    }

    [Fact]
    public async Task UpdateAll_DelAll_and_Batch_with_Cached_invalidate()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await PutAll(t.Db, table, [Row(("id", "a"), ("name", "x")), Row(("id", "b"), ("name", "x")), Row(("id", "c"), ("name", "y"))]);
        foreach (var id in new[] { "a", "b", "c" }) await t.Db.GetCached(table, Row(("id", id)), null, Ct);

        await t.Db.UpdateAll(table, Row(("name", "x")), Row(("n", 1)), CachedWrite, Ct);
        Assert.Equal(1L, (await t.Db.GetCached(table, Row(("id", "a")), null, Ct))?["n"]);
        Assert.Equal(1L, (await t.Db.GetCached(table, Row(("id", "b")), null, Ct))?["n"]);

        await t.Db.DelAll(table, Row(("name", "x")), CachedWrite, Ct);
        Assert.Null(await t.Db.GetCached(table, Row(("id", "a")), null, Ct));
        Assert.NotNull(await t.Db.GetCached(table, Row(("id", "c")), null, Ct));

        await t.Db.Batch([new DbBatchItem(DbOperation.Update, table, Row(("id", "c"), ("name", "batched"))), new DbBatchItem(DbOperation.Add, table, Row(("id", "a"), ("name", "back")))], CachedWrite, Ct);
        Assert.Equal("batched", (await t.Db.GetCached(table, Row(("id", "c")), null, Ct))?["name"]);
        Assert.Equal("back", (await t.Db.GetCached(table, Row(("id", "a")), null, Ct))?["name"]);
    }

    [Fact]
    public async Task A_table_listed_for_caching_is_invalidated_by_every_write()
    {
        await using var t = await Target.OpenAsync(With(Plain, Pairs));
        t.Db.Cache.CacheTables([t.T("plain")]);
        await t.Db.Put(t.T("plain"), Row(("id", "a"), ("name", "A")), null, Ct);
        Assert.Equal("A", (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
        await t.Db.Update(t.T("plain"), Row(("id", "a"), ("name", "B")), null, Ct);
        Assert.Equal("B", (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
        await t.Db.UpdateAll(t.T("plain"), Row(("name", "B")), Row(("name", "C")), null, Ct);
        Assert.Equal("C", (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);

        // Other tables keep the explicit-option behaviour.
        await t.Db.Put(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "1")), null, Ct);
        await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", 1)), null, Ct);
        await t.Db.Update(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "2")), null, Ct);
        Assert.Equal("1", (await t.Db.GetCached(t.T("pairs"), Row(("a", "x"), ("b", 1)), null, Ct))?["v"]);
    }

    [Fact]
    public async Task GetCached_returns_copies_the_caller_may_change()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.Put(t.T("plain"), Row(("id", "a"), ("name", "A")), null, Ct);
        var first = (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))!;
        first["name"] = "changed by the caller";
        first.Remove("id");
        var second = (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))!;
        Assert.Equal(Row(("id", "a"), ("name", "A")), second);
        second["name"] = "changed again";
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct));
    }

    [Fact]
    public async Task GetCached_json_values_are_copies_too()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.Put(t.T("plain"), Row(("id", "a"), ("doc", "{\"x\":1}")), null, Ct);
        var miss = (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))!;
        ((JsonObject)miss["doc"]!)["x"] = "changed after the miss";
        var hit = (await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))!;
        Assert.Equal("{\"x\":1}", ((JsonNode)hit["doc"]!).ToJsonString());
        ((JsonObject)hit["doc"]!)["x"] = "changed after a hit";
        Assert.Equal("{\"x\":1}", ((JsonNode)(await t.Db.GetCached(t.T("plain"), Row(("id", "a")), null, Ct))!["doc"]!).ToJsonString());
    }

    [Fact]
    public async Task GetCached_runs_row_processors_on_hits_too()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        t.Db.SetProcessRow(table, (row, _, _) => row["computed"] = "seen " + row.GetString("id"));
        await t.Db.Put(table, Row(("id", "a"), ("name", "A")), null, Ct);
        Assert.Equal("seen a", (await t.Db.GetCached(table, Row(("id", "a")), null, Ct))?["computed"]);
        Assert.Equal("seen a", (await t.Db.GetCached(table, Row(("id", "a")), null, Ct))?.GetValueOrDefault("computed"));
    }

    [Fact]
    public async Task GetCached_with_select_does_not_serve_partial_rows_to_other_reads()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.Put(table, Row(("id", "a"), ("name", "A"), ("n", 5)), null, Ct);
        Assert.Equal(Row(("n", 5L)), await t.Db.GetCached(table, Row(("id", "a")), new DbOptions { Select = ["n"] }, Ct));
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 5L)), await t.Db.GetCached(table, Row(("id", "a")), null, Ct));
    }

    [Fact]
    public async Task A_cached_write_during_a_cache_miss_is_not_lost()
    {
        var (t, driver) = await OpenCounted();
        await using var _ = t;
        var table = t.T("plain");
        await t.Db.Put(table, Row(("id", "a"), ("name", "old")), null, Ct);

        // The miss reads "old", then the write lands and drops the (not yet stored) entry, then the miss stores "old".
        var hold = driver.HoldNextGet();
        var read = t.Db.GetCached(table, Row(("id", "a")), null, Ct).AsTask();
        await hold.Reached.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await t.Db.Put(table, Row(("id", "a"), ("name", "new")), CachedWrite, Ct);
        hold.Release();
        Assert.Equal("old", (await read)?["name"]); // that read began before the write: fine

        Assert.Equal("new", (await t.Db.GetCached(table, Row(("id", "a")), null, Ct))?["name"]);
    }
}
