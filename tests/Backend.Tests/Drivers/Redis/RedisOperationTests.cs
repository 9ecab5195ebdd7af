using Backend.Data;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Get, Add, Put, Update, Incr, Replace, Del, List, Batch, UpdateAll, DelAll, Search and Query on Redis, with the
/// rows, PK ZSET and index ZSETs checked against each other after every change.</summary>
public sealed class RedisOperationTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    internal static void Tables(TableRegistry tables, string prefix) => tables
        .Add(prefix + "items", t => t
            .Column("id", primary: true)
            .Column("name", index: 1)
            .Column("n", ColumnType.Int, index: 2)
            .Column("flag", ColumnType.Bool, index: 2)
            .Column("score", ColumnType.Real)
            .Column("doc", ColumnType.Json)
            .Column("hits", ColumnType.Counter, index: 3))
        .Add(prefix + "pairs", t => t
            .Column("a", primary: true)
            .Column("b", ColumnType.Int, primary: true)
            .Column("v", index: 1))
        .Add(prefix + "stamped", t => t
            .Column("id", primary: true)
            .Column("status", value: "new")
            .Column("level", ColumnType.Int, value: 1)
            .Column("mtime", ColumnType.BigInt, now: true));

    private async Task<TestDbChecked> Open() => new(await targets.Redis.OpenAsync(Tables), targets);

    /// <summary>A test Db whose disposal first checks every table's indexes against its rows.</summary>
    private sealed class TestDbChecked(Backend.Tests.Conformance.TestDb t, RedisTargets targets) : IAsyncDisposable
    {
        public Db Db => t.Db;

        public string T(string name) => t.T(name);

        public Task Check() => Task.WhenAll(new[] { "items", "pairs", "stamped" }.Select(n => AssertIndexesConsistent(targets.Raw(), t.Db.Table(t.T(n)))));

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Check();
            }
            finally
            {
                await t.DisposeAsync();
            }
        }
    }

    private static async Task<long[]> Ns(TestDbChecked t, DbRow query, DbOptions? options = null) =>
        [.. (await t.Db.SelectAsync(t.T("items"), query, options, Ct)).Rows.Select(r => (long)r["n"]!)];

    [Fact]
    public async Task Put_then_get_returns_exactly_the_written_columns()
    {
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 5)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 5L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "nope")), Ct));
        Assert.Equal(Row(("n", 5L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), new DbOptions { Select = ["n", "bogus"] }, Ct));
        Assert.Equal(3, (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), new DbOptions { Select = ["bogus"] }, Ct))?.Count);
    }

    [Fact]
    public async Task Add_conflicts_with_409_and_keeps_the_first_row()
    {
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.AddAsync(t.T("items"), Row(("id", "a"), ("name", "first")), Ct)).Affected);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(t.T("items"), Row(("id", "a"), ("name", "second")), Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))?["name"]);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "second")), Ct)).Rows);

        await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.AddAsync(t.T("pairs"), Row(("a", "y"), ("b", 1)), Ct);
        Assert.Equal(409, (await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct))).Status);
        Assert.Equal(3, (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows.Count);
    }

    [Fact]
    public async Task Update_changes_only_the_given_columns_and_null_clears()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("n", 6), ("flag", true)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 6L), ("flag", true)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("name", null)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", 6L), ("flag", true)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        Assert.Equal(["a"], (await t.Db.SelectAsync(t.T("items"), Row(("name", null)), Ct)).Rows.Select(r => r["id"]));
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a")), Ct)).Affected);
    }

    [Fact]
    public async Task Update_of_a_missing_row_affects_nothing_and_creates_nothing()
    {
        await using var t = await Open();
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "ghost"), ("name", "x"), ("hits", 3)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "ghost")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "ghost")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "x")), Ct)).Rows);
        Assert.Equal([], (await KeysOf(targets.Raw(), t.T("items"))).Where(k => !k.EndsWith(":ixs", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Put_replaces_the_whole_row_and_its_index_entries()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 5), ("flag", true), ("hits", 3)), Ct);
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("score", 2.5)), Ct);
        Assert.Equal(Row(("id", "a"), ("score", 2.5)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "A")), Ct)).Rows);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("n", 5), ("flag", true)), Ct)).Rows);
        Assert.Single((await t.Db.SelectAsync(t.T("items"), Row(("name", null)), Ct)).Rows);
        await t.Check();
    }

    [Fact]
    public async Task Incr_creates_then_adds_to_counters_and_sets_other_columns()
    {
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("items"), Row(("id", "c"), ("hits", 1), ("n", 5), ("name", "x")), Ct)).Affected);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("n", 5L), ("hits", 1L)), await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct));
        await t.Db.IncrAsync(t.T("items"), Row(("id", "c"), ("hits", "5"), ("n", 7), ("name", "y")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "y"), ("n", 7L), ("hits", 6L)), await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct));
        await t.Db.IncrAsync(t.T("items"), Row(("id", "c"), ("hits", -10)), Ct);
        Assert.Equal(-4L, (await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct))?["hits"]);
        await t.Check();
        // the indexed counter is found by its new value
        Assert.Equal(["c"], (await t.Db.SelectAsync(t.T("items"), Row(("hits", -4)), Ct)).Rows.Select(r => r["id"]));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("hits", 6)), Ct)).Rows);
    }

    [Fact]
    public async Task Incr_of_a_null_counter_starts_from_zero_and_only_the_key_creates_once()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "c"), ("name", "x")), Ct);
        await t.Db.IncrAsync(t.T("items"), Row(("id", "c"), ("hits", 2)), Ct);
        Assert.Equal(2L, (await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct))?["hits"]);
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Equal([Row(("a", "x"), ("b", 1L))], (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows);
        Assert.Single((await t.Db.SelectAsync(t.T("pairs"), Row(("v", null)), Ct)).Rows);
    }

    [Fact]
    public async Task Incr_past_the_largest_integer_is_a_400_and_changes_nothing()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "c"), ("hits", long.MaxValue - 1), ("name", "x")), Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.IncrAsync(t.T("items"), Row(("id", "c"), ("hits", 5), ("name", "y")), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("hits", long.MaxValue - 1)), await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct));
    }

    [Fact]
    public async Task Incr_of_a_counter_holding_garbage_is_a_400_and_restores_the_row()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "g"), ("hits", 1), ("name", "x")), Ct);
        var keys = new Backend.Redis.TableKeys(t.Db.Table(t.T("items")));
        var rowKey = keys.Row(keys.PkOf(Row(("id", "g"))));
        await targets.Raw().HashSetAsync(rowKey, "hits", "12.5x");
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.IncrAsync(t.T("items"), Row(("id", "g"), ("hits", 1), ("name", "y")), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Equal("12.5x", (string?)await targets.Raw().HashGetAsync(rowKey, "hits"));
        Assert.Equal("x", (await t.Db.GetAsync(t.T("items"), Row(("id", "g")), Ct))?["name"]);
        await t.Db.PutAsync(t.T("items"), Row(("id", "g")), Ct);
    }

    [Fact]
    public async Task Replace_adds_when_missing_else_updates_only_the_given_columns()
    {
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("items"), Row(("id", "r"), ("name", "A"), ("n", 1)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("items"), Row(("id", "r"), ("name", "B")), Ct)).Affected);
        Assert.Equal(Row(("id", "r"), ("name", "B"), ("n", 1L)), await t.Db.GetAsync(t.T("items"), Row(("id", "r")), Ct));
        Assert.Equal(["r"], (await t.Db.SelectAsync(t.T("items"), Row(("name", "B")), Ct)).Rows.Select(r => r["id"]));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "A")), Ct)).Rows);
    }

    [Fact]
    public async Task Del_removes_the_row_its_key_and_its_index_entries()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 1), ("hits", 4)), Ct);
        await t.Db.PutAsync(t.T("items"), Row(("id", "b"), ("name", "B")), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(t.T("items"), Row(("id", "a"), ("name", "ignored")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.DelAsync(t.T("items"), Row(("id", "a")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "A")), Ct)).Rows);
        Assert.Equal(["b"], (await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "name" }, Ct)).Rows.Select(r => r["id"]));
        await t.Db.DelAsync(t.T("items"), Row(("id", "b")), Ct);
        Assert.Equal([], (await KeysOf(targets.Raw(), t.T("items"))).Where(k => !k.EndsWith(":ixs", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Defaults_and_now_columns_are_written()
    {
        await using var t = await Open();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await t.Db.AddAsync(t.T("stamped"), Row(("id", "a")), Ct);
        var row = (await t.Db.GetAsync(t.T("stamped"), Row(("id", "a")), Ct))!;
        Assert.Equal("new", row["status"]);
        Assert.Equal(1L, row["level"]);
        Assert.InRange(row.GetLong("mtime")!.Value, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task List_returns_the_existing_rows_once_in_key_order()
    {
        await using var t = await Open();
        foreach (var id in new[] { "b", "a", "c" }) await t.Db.PutAsync(t.T("items"), Row(("id", id), ("n", id[0] - 'a')), Ct);
        var result = await t.Db.ListAsync(t.T("items"), [Row(("id", "c")), Row(("id", "zz")), Row(("id", "a")), Row(("id", "c"))], new DbOptions { Select = ["id"] }, Ct);
        Assert.Equal([Row(("id", "a")), Row(("id", "c"))], result.Rows);
    }

    [Fact]
    public async Task Select_by_primary_key_prefix_index_and_scan_return_the_same_rows()
    {
        await using var t = await Open();
        for (var i = 0; i < 30; i++) await t.Db.PutAsync(t.T("pairs"), Row(("a", i % 3 == 0 ? "x" : i % 3 == 1 ? "xy" : "y"), ("b", i), ("v", $"v{i % 4}")), Ct);
        // first key equality: a range of the PK ZSET that must not include "xy"
        var byPrefix = (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x")), Ct)).Rows;
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 == 0).Select(i => (long)i), byPrefix.Select(r => (long)r["b"]!));
        // index equality
        var byIndex = (await t.Db.SelectAsync(t.T("pairs"), Row(("v", "v1")), Ct)).Rows;
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 4 == 1).Select(i => (i % 3 == 0 ? "x" : i % 3 == 1 ? "xy" : "y", (long)i)).Order(),
            byIndex.Select(r => ((string)r["a"]!, (long)r["b"]!)));
        // scan: a condition on the second key only
        var byScan = (await t.Db.SelectAsync(t.T("pairs"), Row(("b", 10)), new DbOptions().Op("b", DbCompare.Lt), Ct)).Rows;
        Assert.Equal(10, byScan.Count);
        Assert.All(byScan, r => Assert.True((long)r["b"]! < 10));
    }

    [Fact]
    public async Task Every_operator_matches_sqlite_on_the_select_fixture_rows()
    {
        await using var t = await Open();
        for (var i = 1; i <= Backend.Tests.Data.SelectFixture.Names.Length; i++)
            await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i:00}"), ("name", Backend.Tests.Data.SelectFixture.Names[i - 1]), ("n", i), ("score", i / 2.0), ("flag", i % 2 == 0)), Ct);
        foreach (var c in Backend.Tests.Data.SelectTests.Cases)
        {
            var (column, op, value, expected) = ((string)c.Data.Item1, (DbCompare)c.Data.Item2, c.Data.Item3, (long[])c.Data.Item4);
            if (column == "big") continue;
            var got = await Ns(t, Row((column, value)), new DbOptions().Op(column, op));
            Assert.True(expected.SequenceEqual(got), $"{column} {op} {value}");
        }
    }

    [Fact]
    public async Task Batch_is_atomic_an_add_conflict_writes_nothing()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "taken"), ("name", "T")), Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Put, t.T("items"), Row(("id", "p1"), ("name", "P"))),
            new DbBatchItem(DbOperation.Update, t.T("items"), Row(("id", "taken"), ("name", "changed"))),
            new DbBatchItem(DbOperation.Incr, t.T("items"), Row(("id", "taken"), ("hits", 1))),
            new DbBatchItem(DbOperation.Add, t.T("pairs"), Row(("a", "x"), ("b", 1))),
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "taken"), ("name", "dup"))),
        ], Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal(Row(("id", "taken"), ("name", "T")), await t.Db.GetAsync(t.T("items"), Row(("id", "taken")), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "p1")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows);

        // a conflict created inside the batch itself
        var inner = await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Put, t.T("items"), Row(("id", "new"))),
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "new"))),
        ], Ct));
        Assert.Equal(409, inner.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "new")), Ct));

        // del then add of the same key in one batch is fine
        var ok = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Del, t.T("items"), Row(("id", "taken"))),
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "taken"), ("name", "again"))),
            new DbBatchItem(DbOperation.Update, t.T("items"), Row(("id", "missing"), ("name", "x"))),
            new DbBatchItem(DbOperation.Incr, t.T("items"), Row(("id", "taken"), ("hits", 2))),
            new DbBatchItem(DbOperation.Replace, t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "w"))),
        ], Ct);
        Assert.Equal(4, ok.Affected);
        Assert.Equal(Row(("id", "taken"), ("name", "again"), ("hits", 2L)), await t.Db.GetAsync(t.T("items"), Row(("id", "taken")), Ct));
        Assert.Equal(["w"], (await t.Db.SelectAsync(t.T("pairs"), Row(("v", "w")), Ct)).Rows.Select(r => r["v"]));
    }

    [Fact]
    public async Task UpdateAll_and_DelAll_change_exactly_the_matching_rows()
    {
        await using var t = await Open();
        for (var i = 0; i < 20; i++) await t.Db.PutAsync(t.T("items"), Row(("id", $"i{i:00}"), ("name", i % 2 == 0 ? "even" : "odd"), ("n", i)), Ct);
        var updated = await t.Db.UpdateAllAsync(t.T("items"), Row(("name", "even"), ("n", 10)), Row(("name", "big even"), ("flag", true)), new DbOptions().Op("n", DbCompare.Ge), Ct);
        Assert.Equal(5, updated.Affected);
        Assert.Equal(new long[] { 10, 12, 14, 16, 18 }, await Ns(t, Row(("name", "big even"))));
        Assert.Equal(new long[] { 0, 2, 4, 6, 8 }, await Ns(t, Row(("name", "even"))));
        await t.Check();

        var deleted = await t.Db.DelAllAsync(t.T("items"), Row(("name", "odd")), Ct);
        Assert.Equal(10, deleted.Affected);
        Assert.Equal(10, (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Count);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "odd")), Ct)).Rows);
        Assert.Equal(0, (await t.Db.DelAllAsync(t.T("items"), Row(("name", "none")), Ct)).Affected);
        await Assert.ThrowsAsync<DbException>(() => t.Db.DelAllAsync(t.T("items"), Row(), Ct));
    }

    [Fact]
    public async Task UpdateAll_with_nothing_to_set_is_a_400()
    {
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.UpdateAllAsync(t.T("items"), Row(("name", "x")), Row(("id", "ignored")), Ct));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task Search_is_501_and_query_runs_one_raw_command()
    {
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.SearchAsync(t.T("items"), new DbNativeQuery("name = @n", new Dictionary<string, object?> { ["n"] = "x" }), Ct));
        Assert.Equal(501, ex.Status);

        var pong = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery("PING"), Ct);
        Assert.Equal("PONG", Assert.Single(pong.Rows)["value"]);
        var key = "bk:{" + t.T("items") + "}:scratch";
        var set = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery("SADD @k @v", new Dictionary<string, object?> { ["k"] = key, ["v"] = "a b c" }), Ct);
        Assert.Equal(1, set.Affected);
        var members = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery("SMEMBERS @k", new Dictionary<string, object?> { ["k"] = key }), Ct);
        Assert.Equal("a b c", Assert.Single(members.Rows)["value"]); // one argument, never split
        await t.Db.QueryAsync(t.T("items"), new DbNativeQuery("DEL @k", new Dictionary<string, object?> { ["k"] = key }), Ct);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.QueryAsync(t.T("items"), new DbNativeQuery("GET @missing"), Ct))).Status);
    }

    [Fact]
    public async Task Query_with_sql_text_fails_without_changing_the_connection()
    {
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a")), Ct);
        foreach (var text in new[] { "SELECT 1", "SELECT * FROM items", "MULTI", "DELETE FROM items" })
            await Assert.ThrowsAsync<DbException>(() => t.Db.QueryAsync(t.T("items"), new DbNativeQuery(text), Ct));
        Assert.NotNull(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task A_malformed_token_is_a_400()
    {
        await using var t = await Open();
        foreach (var token in new[] { "garbage!", "abc", "e30", "W10", "WzEsMl0" })
        {
            var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.SelectAsync(t.T("items"), null, new DbOptions { Count = 2, Start = token }, Ct));
            Assert.Equal(400, ex.Status);
        }
    }
}
