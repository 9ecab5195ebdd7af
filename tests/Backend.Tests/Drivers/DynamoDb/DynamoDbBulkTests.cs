using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>List, UpdateAll, DelAll, Batch, Search and Query.</summary>
public sealed class DynamoDbBulkTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    [Fact]
    public async Task List_returns_every_existing_row_of_more_than_100_keys_once_in_key_order()
    {
        await using var t = await OpenAsync(Pairs);
        var pairs = t.T("pairs");
        for (var i = 0; i < 250; i++) await t.Db.PutAsync(pairs, Row(("a", $"k{i % 7}"), ("b", i), ("v", $"v{i}")), Ct);
        var keys = new List<object>();
        for (var i = 0; i < 300; i++) keys.Add(Row(("a", $"k{i % 7}"), ("b", i)));
        keys.Add(Row(("a", "k0"), ("b", 0)));
        keys.Add(Row(("a", "nope"), ("b", 1)));
        var result = await t.Db.ListAsync(pairs, keys, Ct);
        Assert.Equal(250, result.Rows.Count);
        var expected = Enumerable.Range(0, 250).Select(i => ($"k{i % 7}", (long)i)).OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2);
        Assert.Equal(expected, result.Rows.Select(r => ((string)r["a"]!, (long)r["b"]!)));
        Assert.All(result.Rows, r => Assert.Equal($"v{r["b"]}", r["v"]));
        var some = await t.Db.ListAsync(pairs, [Row(("a", "k3"), ("b", 3)), Row(("a", "k1"), ("b", 8))], new DbOptions { Select = ["v"] }, Ct);
        Assert.Equal(["{v=s:v8;}", "{v=s:v3;}"], some.Rows.Select(Canon));
    }

    [Fact]
    public async Task UpdateAll_changes_every_matching_row_and_only_those()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        for (var i = 0; i < 30; i++) await t.Db.PutAsync(items, Row(("id", $"i{i:00}"), ("name", $"n{i % 3}"), ("n", i)), Ct);
        var r = await t.Db.UpdateAllAsync(items, Row(("name", "n1"), ("n", 10)), Row(("flag", true), ("score", null), ("id", "ignored")), new DbOptions().Op("n", DbCompare.Gt), Ct);
        Assert.Equal(6, r.Affected);
        var flagged = (await t.Db.SelectAsync(items, Row(("flag", true)), Ct)).Rows;
        Assert.Equal(["i13", "i16", "i19", "i22", "i25", "i28"], flagged.Select(x => (string)x["id"]!));
        Assert.Equal(30, (await t.Db.SelectAsync(items, null, Ct)).Rows.Count);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.UpdateAllAsync(items, Row(), Row(("flag", true)), Ct))).Status);
        Assert.Equal(0, (await t.Db.UpdateAllAsync(items, Row(("name", "none")), Row(("n", 1)), Ct)).Affected);
    }

    [Fact]
    public async Task DelAll_deletes_every_matching_row_and_only_those()
    {
        await using var t = await OpenAsync(Pairs);
        var pairs = t.T("pairs");
        for (var i = 0; i < 60; i++) await t.Db.PutAsync(pairs, Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i), ("s", i % 5)), Ct);
        Assert.Equal(12, (await t.Db.DelAllAsync(pairs, Row(("s", 0)), Ct)).Affected);
        Assert.Equal(12, (await t.Db.DelAllAsync(pairs, Row(("a", "x"), ("b", 30)), new DbOptions().Op("b", DbCompare.Lt), Ct)).Affected);
        var left = (await t.Db.SelectAsync(pairs, null, Ct)).Rows;
        Assert.Equal(60 - 12 - 12, left.Count);
        Assert.DoesNotContain(left, r => (double)r["s"]! == 0);
        Assert.DoesNotContain(left, r => (string)r["a"]! == "x" && (long)r["b"]! < 30);
    }

    [Fact]
    public async Task Batch_applies_every_write_in_order()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "old"), ("n", 1)), Ct);
        var r = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Add, items, Row(("id", "a"), ("n", 1))),
            new DbBatchItem(DbOperation.Put, items, Row(("id", "b"), ("n", 2))),
            new DbBatchItem(DbOperation.Update, items, Row(("id", "old"), ("n", 5))),
            new DbBatchItem(DbOperation.Update, items, Row(("id", "ghost"), ("n", 5))),
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "c"), ("hits", 3))),
            new DbBatchItem(DbOperation.Replace, items, Row(("id", "d"), ("name", "dee"))),
            new DbBatchItem(DbOperation.Del, items, Row(("id", "b"))),
            new DbBatchItem(DbOperation.Del, items, Row(("id", "nope"))),
        ], Ct);
        Assert.Equal(6, r.Affected);
        Assert.Equal(["{id=s:a;n=l:1;}", "{hits=l:3;id=s:c;}", "{id=s:d;name=s:dee;}", "{id=s:old;n=l:5;}"], (await t.Db.SelectAsync(items, null, Ct)).Rows.Select(Canon));
    }

    [Fact]
    public async Task Batch_add_of_an_existing_key_is_409()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "a")), Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync([new DbBatchItem(DbOperation.Add, items, Row(("id", "a"), ("n", 2)))], Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("{id=s:a;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), Ct))!));
    }

    [Fact]
    public async Task Search_takes_a_filter_expression_with_parameters_and_pages_like_select()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        for (var i = 0; i < 20; i++) await t.Db.PutAsync(items, Row(("id", $"i{i:00}"), ("name", i % 2 == 0 ? "even" : "odd"), ("n", i)), Ct);
        var query = new DbNativeQuery("#name = @name AND n BETWEEN @lo AND @hi", new Dictionary<string, object?> { ["name"] = "even", ["lo"] = 4, ["hi"] = 14L });
        var pages = new List<DbResult>();
        string? token = null;
        do
        {
            var page = await t.Db.SearchAsync(items, query, new DbOptions { Count = 2, Desc = true, Start = token }, Ct);
            pages.Add(page);
            token = page.NextToken;
        }
        while (token != "");
        Assert.Equal(["i14", "i12", "i10", "i08", "i06", "i04"], pages.SelectMany(p => p.Rows).Select(r => (string)r["id"]!));
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.SearchAsync(items, new DbNativeQuery("n = @missing"), Ct))).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.SearchAsync(items, new DbNativeQuery("n ==== 1"), Ct))).Status);
    }

    [Fact]
    public async Task Query_is_501()
    {
        await using var t = await OpenAsync();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.QueryAsync(t.T("items"), new DbNativeQuery("SELECT * FROM x"), Ct));
        Assert.Equal(501, ex.Status);
        Assert.Contains("not supported by the dynamodb driver", ex.Message, StringComparison.Ordinal);
    }
}
