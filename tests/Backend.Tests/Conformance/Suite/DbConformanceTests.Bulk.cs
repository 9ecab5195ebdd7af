using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>UpdateAll, DelAll, List and Batch.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    /// <summary>The ids of every row, sorted.</summary>
    private static async Task<List<string>> AllIds(TestDb t, string table) =>
        [.. (await t.Db.SelectAsync(t.T(table), null, Ct)).Rows.Select(r => (string)r["id"]!).Order(StringComparer.Ordinal)];

    // ---- UpdateAll ----

    [Fact]
    public async Task UpdateAll_by_an_indexed_column_changes_exactly_the_matching_rows()
    {
        await using var t = await OpenSelectRows();
        await t.Db.PutAsync(t.T("items"), Row(("id", "r13"), ("name", "banana"), ("n", 13)), Ct);
        var before = NowMs;
        var result = await t.Db.UpdateAllAsync(t.T("items"), Row(("name", "banana")), Row(("score", 99.5), ("flag", true)), Ct);
        Assert.Equal(2, result.Affected);
        var rows = (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows;
        Assert.Equal(13, rows.Count);
        foreach (var row in rows)
        {
            var changed = (string)row["id"]! is "r03" or "r13";
            Assert.Equal(changed ? 99.5 : row.GetLong("n")!.Value / 2.0, row["score"]);
            if (changed) Assert.True(row.GetLong("mtime") >= before, "now columns are set by UpdateAll");
        }
        Assert.Equal("banana", (await t.Db.GetAsync(t.T("items"), Row(("id", "r03")), Ct))?["name"]);
    }

    [Fact]
    public async Task UpdateAll_by_a_non_indexed_column_changes_exactly_the_matching_rows()
    {
        await using var t = await OpenSelectRows();
        var result = await t.Db.UpdateAllAsync(t.T("items"), Row(("flag", true)), Row(("name", "even"), ("doc", "{\"even\":true}")), Ct);
        Assert.Equal(6, result.Affected);
        var rows = (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows;
        Assert.Equal([2L, 4, 6, 8, 10, 12], rows.Where(r => Equals(r.GetValueOrDefault("name"), "even")).Select(r => r.GetLong("n")!.Value).Order());
        Assert.All(rows.Where(r => r.GetLong("n") % 2 == 1), r => Assert.Equal(SelectNames[r.GetLong("n")!.Value - 1], r.GetValueOrDefault("name")));
        Assert.Equal([2L, 4, 6, 8, 10, 12], rows.Where(r => r.ContainsKey("doc")).Select(r => r.GetLong("n")!.Value).Order());
    }

    [Fact]
    public async Task UpdateAll_with_an_operator_and_several_conditions()
    {
        await using var t = await OpenSelectRows();
        var result = await t.Db.UpdateAllAsync(t.T("items"), Row(("n", 6), ("flag", false)), Row(("hits", 1)), new DbOptions().Op("n", DbCompare.Gt), Ct);
        Assert.Equal(3, result.Affected);
        var hit = (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Where(r => r.ContainsKey("hits")).Select(r => r.GetLong("n")!.Value).Order();
        Assert.Equal([7L, 9, 11], hit);
    }

    [Fact]
    public async Task UpdateAll_matching_nothing_affects_no_rows()
    {
        await using var t = await OpenSelectRows();
        Assert.Equal(0, (await t.Db.UpdateAllAsync(t.T("items"), Row(("name", "nope")), Row(("n", 0)), Ct)).Affected);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("n", 0)), Ct)).Rows);
    }

    [Fact]
    public async Task UpdateAll_never_changes_primary_keys()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 4).Select(i => Row(("a", "x"), ("b", i), ("n", i))));
        await t.Db.UpdateAllAsync(t.T("pairs"), Row(("a", "x")), Row(("a", "z"), ("b", 99), ("v", "set")), Ct);
        var rows = (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x")), Ct)).Rows;
        Assert.Equal([1L, 2, 3, 4], rows.Select(r => (long)r["b"]!));
        Assert.All(rows, r => Assert.Equal("set", r["v"]));
        Assert.Empty((await t.Db.SelectAsync(t.T("pairs"), Row(("a", "z")), Ct)).Rows);
    }

    [Fact]
    public async Task UpdateAll_by_the_first_key_of_a_composite_key()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 6).Select(i => Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i))));
        Assert.Equal(3, (await t.Db.UpdateAllAsync(t.T("pairs"), Row(("a", "x")), Row(("v", "even")), Ct)).Affected);
        var rows = (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows;
        Assert.Equal([2L, 4, 6], rows.Where(r => r.ContainsKey("v")).Select(r => (long)r["b"]!).Order());
    }

    [Fact]
    public async Task UpdateAll_requires_a_condition()
    {
        await using var t = await OpenSelectRows();
        foreach (var query in new object[] { Row(), new { }, Row(("bogus", 1)), new Dictionary<string, string>() })
            await AssertStatus(400, () => t.Db.UpdateAllAsync(t.T("items"), query, Row(("name", "wiped")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "wiped")), Ct)).Rows);
    }

    [Fact]
    public async Task UpdateAll_with_nothing_to_set_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        await AssertStatus(400, () => t.Db.UpdateAllAsync(t.T("plain"), Row(("name", "A")), Row(("bogus", 1)), Ct));
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task UpdateAll_with_a_wrong_type_is_a_400_and_changes_nothing()
    {
        await using var t = await OpenSelectRows();
        await AssertStatus(400, () => t.Db.UpdateAllAsync(t.T("items"), Row(("flag", true)), Row(("name", "x"), ("n", "abc")), Ct));
        await AssertStatus(400, () => t.Db.UpdateAllAsync(t.T("items"), Row(("n", "abc")), Row(("name", "x")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "x")), Ct)).Rows);
    }

    // ---- DelAll ----

    [Fact]
    public async Task DelAll_by_an_indexed_column_deletes_exactly_the_matching_rows()
    {
        await using var t = await OpenSelectRows();
        await t.Db.PutAsync(t.T("items"), Row(("id", "r13"), ("name", "grape"), ("n", 13)), Ct);
        Assert.Equal(2, (await t.Db.DelAllAsync(t.T("items"), Row(("name", "grape")), Ct)).Affected);
        Assert.Equal(["r01", "r02", "r03", "r04", "r05", "r06", "r08", "r09", "r10", "r11", "r12"], await AllIds(t, "items"));
    }

    [Fact]
    public async Task DelAll_by_a_non_indexed_column_deletes_exactly_the_matching_rows()
    {
        await using var t = await OpenSelectRows();
        Assert.Equal(6, (await t.Db.DelAllAsync(t.T("items"), Row(("flag", false)), Ct)).Affected);
        Assert.Equal(["r02", "r04", "r06", "r08", "r10", "r12"], await AllIds(t, "items"));
    }

    [Fact]
    public async Task DelAll_with_an_operator_condition()
    {
        await using var t = await OpenSelectRows();
        Assert.Equal(3, (await t.Db.DelAllAsync(t.T("items"), Row(("big", Base + 10)), new DbOptions().Op("big", DbCompare.Ge), Ct)).Affected);
        Assert.Equal(2, (await t.Db.DelAllAsync(t.T("items"), Row(("name", "ap")), new DbOptions().Op("name", DbCompare.BeginsWith), Ct)).Affected);
        Assert.Equal(["r03", "r04", "r05", "r06", "r07", "r08", "r09"], await AllIds(t, "items"));
    }

    [Fact]
    public async Task DelAll_by_the_first_key_of_a_composite_key()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 6).Select(i => Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i))));
        Assert.Equal(3, (await t.Db.DelAllAsync(t.T("pairs"), Row(("a", "x")), Ct)).Affected);
        Assert.Equal([1L, 3, 5], (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows.Select(r => (long)r["b"]!).Order());
    }

    [Fact]
    public async Task DelAll_matching_nothing_deletes_nothing()
    {
        await using var t = await OpenSelectRows();
        Assert.Equal(0, (await t.Db.DelAllAsync(t.T("items"), Row(("name", "nope")), Ct)).Affected);
        Assert.Equal(12, (await AllIds(t, "items")).Count);
    }

    [Fact]
    public async Task DelAll_requires_a_condition_and_deletes_nothing_without_one()
    {
        await using var t = await OpenSelectRows();
        foreach (var query in new object[] { Row(), new { }, Row(("bogus", "x")), new { bogus = "banana" } })
            await AssertStatus(400, () => t.Db.DelAllAsync(t.T("items"), query, Ct));
        Assert.Equal(12, (await AllIds(t, "items")).Count);
    }

    // ---- List ----

    [Fact]
    public async Task List_returns_the_existing_rows_of_many_keys()
    {
        await using var t = await Target.OpenAsync(Plain);
        await PutAll(t.Db, t.T("plain"), Enumerable.Range(0, 60).Select(i => Row(("id", $"k{i * 2:000}"), ("n", i * 2))));
        var keys = Enumerable.Range(0, 150).Select(i => (object)Row(("id", $"k{i:000}"))).ToList();
        var rows = (await t.Db.ListAsync(t.T("plain"), keys, Ct)).Rows;
        var expected = Enumerable.Range(0, 60).Select(i => (long)i * 2).ToList();
        Assert.Equal(expected, rows.Select(r => (long)r["n"]!).Order());
        Assert.All(rows, r => Assert.Equal($"k{r["n"]:000}", r["id"]));
    }

    [Fact]
    public async Task List_with_composite_keys()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 10).SelectMany(i => new[] { Row(("a", "x"), ("b", i), ("v", $"x{i}")), Row(("a", "y"), ("b", i), ("v", $"y{i}")) }));
        var rows = (await t.Db.ListAsync(t.T("pairs"), [Row(("a", "x"), ("b", 1)), Row(("a", "y"), ("b", "10")), new { a = "x", b = 11 }, new { a = "z", b = 1 }, new { a = "y", b = 3 }], Ct)).Rows;
        Assert.Equal(["x1", "y10", "y3"], rows.Select(r => (string)r["v"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task List_with_duplicate_keys_returns_each_row_once()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("n", 1)), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "b"), ("n", 2)), Ct);
        var rows = (await t.Db.ListAsync(t.T("plain"), [Row(("id", "a")), Row(("id", "b")), Row(("id", "a")), new { id = "a" }], Ct)).Rows;
        Assert.Equal(["a", "b"], rows.Select(r => (string)r["id"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task List_of_no_keys_or_only_missing_keys_is_empty()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a")), Ct);
        Assert.Empty((await t.Db.ListAsync(t.T("plain"), [], Ct)).Rows);
        Assert.Empty((await t.Db.ListAsync(t.T("plain"), [Row(("id", "x")), Row(("id", "y"))], Ct)).Rows);
    }

    [Fact]
    public async Task List_with_select_returns_only_the_chosen_columns()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 1)), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "b"), ("name", "B"), ("n", 2)), Ct);
        var rows = (await t.Db.ListAsync(t.T("plain"), [Row(("id", "a")), Row(("id", "b"))], new DbOptions { Select = ["id", "n"] }, Ct)).Rows;
        Assert.Equal([Row(("id", "a"), ("n", 1L)), Row(("id", "b"), ("n", 2L))], rows.OrderBy(r => (string)r["id"]!, StringComparer.Ordinal));
    }

    [Fact]
    public async Task List_with_a_missing_key_part_is_a_400()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await AssertStatus(400, () => t.Db.ListAsync(t.T("pairs"), [Row(("a", "x"), ("b", 1)), Row(("a", "x"))], Ct));
        await AssertStatus(400, () => t.Db.ListAsync(t.T("pairs"), [Row(("a", "x"), ("b", "abc"))], Ct));
    }

    // ---- Batch ----

    [Fact]
    public async Task Batch_of_mixed_writes_applies_every_write()
    {
        await using var t = await Target.OpenAsync(With(Plain, Pairs));
        var plain = t.T("plain");
        var pairs = t.T("pairs");
        await t.Db.PutAsync(plain, Row(("id", "upd"), ("name", "old"), ("n", 1)), Ct);
        await t.Db.PutAsync(plain, Row(("id", "del"), ("name", "gone")), Ct);
        await t.Db.PutAsync(plain, Row(("id", "inc"), ("hits", 5)), Ct);
        await t.Db.PutAsync(plain, Row(("id", "rep"), ("name", "kept"), ("n", 1)), Ct);
        var result = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Add, plain, Row(("id", "new"), ("name", "added"))),
            new DbBatchItem(DbOperation.Put, plain, Row(("id", "put"), ("n", "7"))),
            new DbBatchItem(DbOperation.Update, plain, Row(("id", "upd"), ("name", "new"))),
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "inc"), ("hits", 2))),
            new DbBatchItem(DbOperation.Replace, plain, Row(("id", "rep"), ("n", 2))),
            new DbBatchItem(DbOperation.Del, plain, Row(("id", "del"))),
            new DbBatchItem(DbOperation.Put, pairs, Row(("a", "x"), ("b", 1), ("v", "other table"))),
            new DbBatchItem(DbOperation.Incr, pairs, Row(("a", "x"), ("b", 2), ("hits", 3))),
        ], Ct);
        Assert.Equal(8, result.Affected);
        Assert.Equal(Row(("id", "new"), ("name", "added")), await t.Db.GetAsync(plain, Row(("id", "new")), Ct));
        Assert.Equal(Row(("id", "put"), ("n", 7L)), await t.Db.GetAsync(plain, Row(("id", "put")), Ct));
        Assert.Equal(Row(("id", "upd"), ("name", "new"), ("n", 1L)), await t.Db.GetAsync(plain, Row(("id", "upd")), Ct));
        Assert.Equal(Row(("id", "inc"), ("hits", 7L)), await t.Db.GetAsync(plain, Row(("id", "inc")), Ct));
        Assert.Equal(Row(("id", "rep"), ("name", "kept"), ("n", 2L)), await t.Db.GetAsync(plain, Row(("id", "rep")), Ct));
        Assert.Null(await t.Db.GetAsync(plain, Row(("id", "del")), Ct));
        Assert.Equal("other table", (await t.Db.GetAsync(pairs, Row(("a", "x"), ("b", 1)), Ct))?["v"]);
        Assert.Equal(3L, (await t.Db.GetAsync(pairs, Row(("a", "x"), ("b", 2)), Ct))?["hits"]);
    }

    [Fact]
    public async Task Batch_with_NoUpsert_increments_existing_rows_and_skips_missing_ones()
    {
        await using var t = await Target.OpenAsync(Plain);
        var plain = t.T("plain");
        await t.Db.PutAsync(plain, Row(("id", "one"), ("hits", 5)), Ct);
        await t.Db.PutAsync(plain, Row(("id", "two"), ("hits", 1)), Ct);
        var result = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "one"), ("hits", 2))),
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "ghost"), ("hits", 2))),
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "two"), ("hits", -1), ("name", "two"))),
            new DbBatchItem(DbOperation.Put, plain, Row(("id", "new"), ("n", 1))),
        ], new DbOptions { NoUpsert = true }, Ct);
        Assert.Equal(3, result.Affected);
        Assert.Equal(Row(("id", "one"), ("hits", 7L)), await t.Db.GetAsync(plain, Row(("id", "one")), Ct));
        Assert.Equal(Row(("id", "two"), ("hits", 0L), ("name", "two")), await t.Db.GetAsync(plain, Row(("id", "two")), Ct));
        Assert.Null(await t.Db.GetAsync(plain, Row(("id", "ghost")), Ct));
        Assert.Equal(Row(("id", "new"), ("n", 1L)), await t.Db.GetAsync(plain, Row(("id", "new")), Ct));
    }

    [Fact]
    public async Task Batch_with_an_incr_past_the_largest_counter_is_a_400_and_keeps_the_counter()
    {
        await using var t = await Target.OpenAsync(Plain);
        var plain = t.T("plain");
        await t.Db.PutAsync(plain, Row(("id", "max"), ("hits", long.MaxValue)), Ct);
        await AssertStatus(400, () => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "max"), ("hits", 1))),
        ], Ct));
        Assert.True(Same(long.MaxValue, (await t.Db.GetAsync(plain, Row(("id", "max")), Ct))?["hits"]));
        await AssertStatus(400, () => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Incr, plain, Row(("id", "max"), ("hits", 1))),
        ], new DbOptions { NoUpsert = true }, Ct));
        Assert.True(Same(long.MaxValue, (await t.Db.GetAsync(plain, Row(("id", "max")), Ct))?["hits"]));
    }

    [Fact]
    public async Task Batch_of_many_puts_writes_them_all()
    {
        await using var t = await Target.OpenAsync(Plain);
        var result = await t.Db.BatchAsync(Enumerable.Range(0, 25).Select(i => new DbBatchItem(DbOperation.Put, t.T("plain"), Row(("id", $"b{i:00}"), ("n", i)))), Ct);
        Assert.Equal(25, result.Affected);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"b{i:00}"), await AllIds(t, "plain"));
    }

    [Fact]
    public async Task Batch_with_an_invalid_item_is_a_400_and_writes_nothing()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        foreach (var bad in new[]
        {
            new DbBatchItem(DbOperation.Put, table, Row(("id", "bad"), ("n", "abc"))),
            new DbBatchItem(DbOperation.Put, table, Row(("n", 1))),
            new DbBatchItem(DbOperation.Put, t.T("nosuchtable"), Row(("id", "x"))),
            new DbBatchItem(DbOperation.Get, table, Row(("id", "x"))),
            new DbBatchItem(DbOperation.Select, table, Row(("id", "x"))),
        })
        {
            await AssertStatus(400, () => t.Db.BatchAsync([new DbBatchItem(DbOperation.Put, table, Row(("id", "first"))), bad, new DbBatchItem(DbOperation.Put, table, Row(("id", "last")))], Ct));
        }
        Assert.Empty(await AllIds(t, "plain"));
    }

    [Fact]
    public async Task Batch_with_a_conflicting_add_is_a_409_and_writes_nothing()
    {
        Assert.SkipUnless(HasAtomicBatch, "this driver's batches are not atomic");
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "taken"), ("name", "original")), Ct);
        await AssertStatus(409, () => t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Put, table, Row(("id", "a"))),
            new DbBatchItem(DbOperation.Update, table, Row(("id", "taken"), ("name", "changed"))),
            new DbBatchItem(DbOperation.Add, table, Row(("id", "taken"))),
            new DbBatchItem(DbOperation.Put, table, Row(("id", "b"))),
        ], Ct));
        Assert.Equal(["taken"], await AllIds(t, "plain"));
        Assert.Equal("original", (await t.Db.GetAsync(table, Row(("id", "taken")), Ct))?["name"]);
    }

    [Fact]
    public async Task Batch_of_nothing_does_nothing()
    {
        await using var t = await Target.OpenAsync(Plain);
        Assert.Equal(0, (await t.Db.BatchAsync([], Ct)).Affected);
    }
}
