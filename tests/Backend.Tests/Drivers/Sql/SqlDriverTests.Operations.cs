using Backend.Data;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Every operation, with the affected counts SQLite reports.</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    [Fact]
    public async Task Add_inserts_and_a_second_add_of_the_key_is_409_without_changing_the_row()
    {
        Target.RequireServer();
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.AddAsync(t.T("items"), Row(("id", "a"), ("name", "first")), Ct)).Affected);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(t.T("items"), Row(("id", "a"), ("name", "second")), Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["name"]);
        var pair = await Assert.ThrowsAsync<DbException>(async () =>
        {
            await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
            await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "again")), Ct);
        });
        Assert.Equal(409, pair.Status);
    }

    [Fact]
    public async Task Put_inserts_then_replaces_the_whole_row()
    {
        Target.RequireServer();
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 1), ("doc", "{\"x\":1}"), ("hits", 5)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("n", 2)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("n", 2L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        // the same values again still count as written
        Assert.Equal(1, (await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("n", 2)), Ct)).Affected);
        // a table of key columns only
        Assert.Equal(1, (await t.Db.PutAsync(t.T("tags"), Row(("owner", "o"), ("tag", "t")), Ct)).Affected);
        Assert.Equal(1, (await t.Db.PutAsync(t.T("tags"), Row(("owner", "o"), ("tag", "t")), Ct)).Affected);
    }

    [Fact]
    public async Task Update_reports_1_for_an_existing_row_even_unchanged_and_0_for_a_missing_one()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 1)), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("n", 2)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("n", 2)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "nope"), ("n", 2)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "nope")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "nope")), Ct));
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 2L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        // NULL clears a column
        await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("name", null)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", 2L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Incr_creates_the_row_adds_to_counters_and_sets_other_columns()
    {
        Target.RequireServer();
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("items"), Row(("id", "a"), ("hits", 2), ("name", "one")), Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("items"), Row(("id", "a"), ("hits", 3), ("name", "two")), Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("items"), Row(("id", "a"), ("hits", -1)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "two"), ("hits", 4L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        // a NULL counter (row made by Put) counts from 0
        await t.Db.PutAsync(t.T("items"), Row(("id", "b"), ("n", 1)), Ct);
        await t.Db.IncrAsync(t.T("items"), Row(("id", "b"), ("hits", 7)), Ct);
        Assert.Equal(7L, (await t.Db.GetAsync(t.T("items"), Row(("id", "b")), Ct))!["hits"]);
        // an empty counter value adds nothing
        await t.Db.IncrAsync(t.T("items"), Row(("id", "b"), ("hits", "")), Ct);
        Assert.Equal(7L, (await t.Db.GetAsync(t.T("items"), Row(("id", "b")), Ct))!["hits"]);
    }

    [Fact]
    public async Task Incr_and_replace_of_key_columns_only_insert_when_missing_and_change_nothing_otherwise()
    {
        Target.RequireServer();
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.IncrAsync(t.T("tags"), Row(("owner", "o"), ("tag", "a")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.IncrAsync(t.T("tags"), Row(("owner", "o"), ("tag", "a")), Ct)).Affected);
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("tags"), Row(("owner", "o"), ("tag", "b")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.ReplaceAsync(t.T("tags"), Row(("owner", "o"), ("tag", "b")), Ct)).Affected);
        Assert.Equal(2, (await t.Db.SelectAsync(t.T("tags"), Row(("owner", "o")), Ct)).Rows.Count);
    }

    [Fact]
    public async Task Replace_adds_a_missing_row_and_updates_only_the_given_columns_of_an_existing_one()
    {
        Target.RequireServer();
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 1), ("hits", 3)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("items"), Row(("id", "a"), ("n", 2), ("hits", 1)), Ct)).Affected);
        Assert.Equal(1, (await t.Db.ReplaceAsync(t.T("items"), Row(("id", "a"), ("n", 2)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 2L), ("hits", 1L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Del_reports_1_then_0()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "one")), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 2), ("v", "two")), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.DelAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct));
        Assert.NotNull(await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct));
    }

    [Fact]
    public async Task Get_with_select_returns_only_the_chosen_columns()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A"), ("n", 1), ("flag", true)), Ct);
        Assert.Equal(Row(("n", 1L), ("flag", true)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), new DbOptions { Select = ["n", "flag", "bogus"] }, Ct));
    }

    [Fact]
    public async Task UpdateAll_and_DelAll_report_the_rows_matched()
    {
        Target.RequireServer();
        await using var t = await Open();
        for (var i = 1; i <= 6; i++) await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i}"), ("n", i), ("flag", i <= 2)), Ct);
        // r1 and r2 already have flag = true: they still count, as on SQLite
        Assert.Equal(4, (await t.Db.UpdateAllAsync(t.T("items"), Row(("n", 4)), Row(("flag", true)), new DbOptions().Op("n", DbCompare.Le), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAllAsync(t.T("items"), Row(("n", 99)), Row(("flag", true)), Ct)).Affected);
        Assert.Equal(4, (await t.Db.SelectAsync(t.T("items"), Row(("flag", true)), Ct)).Rows.Count);
        Assert.Equal(2, (await t.Db.DelAllAsync(t.T("items"), Row(("n", "5,6")), new DbOptions().Op("n", DbCompare.In), Ct)).Affected);
        Assert.Equal(0, (await t.Db.DelAllAsync(t.T("items"), Row(("n", 5)), Ct)).Affected);
        Assert.Equal(["r1", "r2", "r3", "r4"], Ids(await t.Db.SelectAsync(t.T("items"), null, Ct)));
    }

    [Fact]
    public async Task List_returns_the_rows_of_many_keys_and_skips_missing_ones()
    {
        Target.RequireServer();
        await using var t = await Open();
        for (var i = 1; i <= 5; i++)
        {
            await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i}"), ("n", i)), Ct);
            await t.Db.PutAsync(t.T("pairs"), Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i), ("v", $"v{i}")), Ct);
        }
        var items = await t.Db.ListAsync(t.T("items"), [Row(("id", "r2")), Row(("id", "nope")), Row(("id", "r5"))], Ct);
        Assert.Equal(["r2", "r5"], items.Rows.Select(r => r["id"]).Order());
        var pairs = await t.Db.ListAsync(t.T("pairs"), [Row(("a", "x"), ("b", 2)), Row(("a", "y"), ("b", 3)), Row(("a", "x"), ("b", 3))], Ct);
        Assert.Equal(["v2", "v3"], pairs.Rows.Select(r => (string)r["v"]!).Order());
    }

    [Fact]
    public async Task Search_takes_a_native_where_clause_with_named_parameters_and_pages()
    {
        Target.RequireServer();
        await using var t = await Open();
        for (var i = 1; i <= 10; i++) await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i:00}"), ("name", i % 2 == 0 ? "even" : "odd"), ("n", i)), Ct);
        var query = new DbNativeQuery("name = @name AND n > @min", new Dictionary<string, object?> { ["name"] = "even", ["min"] = 2L });
        var first = await t.Db.SearchAsync(t.T("items"), query, new DbOptions { Count = 2 }, Ct);
        Assert.Equal(["r04", "r06"], Ids(first));
        var second = await t.Db.SearchAsync(t.T("items"), query, new DbOptions { Count = 2, Start = first.NextToken }, Ct);
        Assert.Equal(["r08", "r10"], Ids(second));
        var desc = await t.Db.SearchAsync(t.T("items"), query, new DbOptions { Sort = "n", Desc = true }, Ct);
        Assert.Equal(["r10", "r08", "r06", "r04"], Ids(desc));
        var missing = await Assert.ThrowsAsync<DbException>(() => t.Db.SearchAsync(t.T("items"), new DbNativeQuery("n > @nope"), Ct));
        Assert.Equal(400, missing.Status);
    }

    [Fact]
    public async Task Query_runs_a_raw_statement_returning_typed_rows_or_the_affected_count()
    {
        Target.RequireServer();
        await using var t = await Open();
        for (var i = 1; i <= 4; i++)
            await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i}"), ("n", i), ("flag", i > 2), ("doc", $"{{\"i\":{i}}}"), ("score", i / 4.0)), Ct);
        var rows = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"SELECT id, n, flag, doc, score FROM {t.T("items")} WHERE n >= @min ORDER BY id",
            new Dictionary<string, object?> { ["min"] = 3L }), Ct);
        Assert.Equal(2, rows.Rows.Count);
        Assert.Equal(3L, rows.Rows[0]["n"]);
        Assert.Equal(true, rows.Rows[0]["flag"]);
        Assert.Equal(0.75, rows.Rows[0]["score"]);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse("{\"i\":3}"), (System.Text.Json.Nodes.JsonNode?)rows.Rows[0]["doc"]));

        var update = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"UPDATE {t.T("items")} SET note = @note WHERE n <= @max",
            new Dictionary<string, object?> { ["note"] = "low", ["max"] = 2L }), Ct);
        Assert.Equal(2, update.Affected);
        Assert.Empty(update.Rows);
        Assert.Equal("low", (await t.Db.GetAsync(t.T("items"), Row(("id", "r1")), Ct))!["note"]);

        var count = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"SELECT COUNT(*) AS total FROM {t.T("items")}"), Ct);
        Assert.Equal(4L, Convert.ToInt64(count.Rows[0]["total"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Batch_is_one_transaction_summing_the_affected_counts()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "old"), ("n", 1)), Ct);
        var result = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "a"), ("n", 1))),
            new DbBatchItem(DbOperation.Put, t.T("items"), Row(("id", "old"), ("n", 2))),
            new DbBatchItem(DbOperation.Incr, t.T("items"), Row(("id", "c"), ("hits", 2))),
            new DbBatchItem(DbOperation.Update, t.T("items"), Row(("id", "a"), ("name", "A"))),
            new DbBatchItem(DbOperation.Update, t.T("items"), Row(("id", "missing"), ("name", "M"))),
            new DbBatchItem(DbOperation.Replace, t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "v"))),
            new DbBatchItem(DbOperation.Incr, t.T("tags"), Row(("owner", "o"), ("tag", "t"))),
            new DbBatchItem(DbOperation.Del, t.T("items"), Row(("id", "nope"))),
        ], Ct);
        Assert.Equal(6, result.Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 1L)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        Assert.Equal(2L, (await t.Db.GetAsync(t.T("items"), Row(("id", "old")), Ct))!["n"]);
        Assert.Equal(2L, (await t.Db.GetAsync(t.T("items"), Row(("id", "c")), Ct))!["hits"]);
        Assert.NotNull(await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct));
    }

    [Fact]
    public async Task A_failing_batch_item_rolls_back_the_whole_batch_with_409()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "taken"), ("n", 1)), Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "new1"))),
            new DbBatchItem(DbOperation.Incr, t.T("items"), Row(("id", "taken"), ("hits", 5))),
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "taken"))),
            new DbBatchItem(DbOperation.Add, t.T("items"), Row(("id", "new2"))),
        ], Ct));
        Assert.Equal(409, ex.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "new1")), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "new2")), Ct));
        Assert.Equal(Row(("id", "taken"), ("n", 1L)), await t.Db.GetAsync(t.T("items"), Row(("id", "taken")), Ct));
        // the pool is fine afterwards
        Assert.Equal(1, (await t.Db.AddAsync(t.T("items"), Row(("id", "new1")), Ct)).Affected);
    }
}
