using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Get, Add, Put, Update, Replace, Incr and Del on dynalite.</summary>
public sealed class DynamoDbCrudTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    [Fact]
    public async Task Put_then_get_returns_the_row_and_put_replaces_the_whole_row()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.PutAsync(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5), ("score", 1.5)), Ct)).Affected);
        var row = await t.Db.GetAsync(items, Row(("id", "a")), Ct);
        Assert.Equal("{id=s:a;n=l:5;name=s:Alpha;score=d:1.5;}", Canon(row!));
        await t.Db.PutAsync(items, Row(("id", "a"), ("n", 6)), Ct);
        Assert.Equal("{id=s:a;n=l:6;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), Ct))!));
    }

    [Fact]
    public async Task Get_of_a_missing_row_is_null_and_select_option_limits_the_columns()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Null(await t.Db.GetAsync(items, Row(("id", "nope")), Ct));
        await t.Db.PutAsync(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5)), Ct);
        Assert.Equal("{name=s:Alpha;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), new DbOptions { Select = ["name", "bogus"] }, Ct))!));
        // Nothing known selected: the whole row, as on SQL.
        Assert.Equal(3, (await t.Db.GetAsync(items, Row(("id", "a")), new DbOptions { Select = ["bogus"] }, Ct))!.Count);
    }

    [Fact]
    public async Task Add_of_an_existing_key_is_409_and_changes_nothing()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.AddAsync(items, Row(("id", "a"), ("name", "first")), Ct)).Affected);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(items, Row(("id", "a"), ("name", "second")), Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await t.Db.GetAsync(items, Row(("id", "a")), Ct))!["name"]);

        var pairs = t.T("pairs");
        await t.Db.AddAsync(pairs, Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.AddAsync(pairs, Row(("a", "x"), ("b", 2)), Ct);
        Assert.Equal(409, (await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(pairs, Row(("a", "x"), ("b", 1)), Ct))).Status);
    }

    [Fact]
    public async Task Update_of_a_missing_row_affects_nothing_and_creates_nothing()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        Assert.Equal(0, (await t.Db.UpdateAsync(items, Row(("id", "ghost"), ("name", "x")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(items, Row(("id", "ghost")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(items, Row(("id", "ghost")), Ct));
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "ghost" } }, ConsistentRead = true }, Ct);
        Assert.True(raw.Item is null or { Count: 0 });
    }

    [Fact]
    public async Task Update_changes_only_the_given_columns_and_null_removes_a_column()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5), ("flag", true)), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(items, Row(("id", "a"), ("n", 7), ("flag", null)), Ct)).Affected);
        Assert.Equal("{id=s:a;n=l:7;name=s:Alpha;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), Ct))!));
        // NULL is an absent attribute, not a NULL value.
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "a" } }, ConsistentRead = true }, Ct);
        Assert.False(raw.Item.ContainsKey("flag"));
        Assert.Equal(1, (await t.Db.UpdateAsync(items, Row(("id", "a")), Ct)).Affected);
    }

    [Fact]
    public async Task Replace_creates_a_missing_row_and_keeps_the_other_columns_of_an_existing_one()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.ReplaceAsync(items, Row(("id", "a"), ("name", "Alpha")), Ct)).Affected);
        Assert.Equal("{id=s:a;name=s:Alpha;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), Ct))!));
        await t.Db.UpdateAsync(items, Row(("id", "a"), ("n", 3)), Ct);
        await t.Db.ReplaceAsync(items, Row(("id", "a"), ("name", "Beta")), Ct);
        Assert.Equal("{id=s:a;n=l:3;name=s:Beta;}", Canon((await t.Db.GetAsync(items, Row(("id", "a")), Ct))!));
        // Only the key: created when missing (1), nothing when present (0), like ON CONFLICT DO NOTHING.
        Assert.Equal(1, (await t.Db.ReplaceAsync(items, Row(("id", "k")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.ReplaceAsync(items, Row(("id", "k")), Ct)).Affected);
        Assert.Equal("{id=s:k;}", Canon((await t.Db.GetAsync(items, Row(("id", "k")), Ct))!));
    }

    [Fact]
    public async Task Incr_adds_to_counters_sets_other_columns_and_creates_the_row()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.IncrAsync(items, Row(("id", "c"), ("hits", 2), ("name", "one")), Ct)).Affected);
        await t.Db.IncrAsync(items, Row(("id", "c"), ("hits", -5), ("name", "two")), Ct);
        await t.Db.IncrAsync(items, Row(("id", "c"), ("hits", ""), ("n", 1)), Ct);
        Assert.Equal("{hits=l:-3;id=s:c;n=l:1;name=s:two;}", Canon((await t.Db.GetAsync(items, Row(("id", "c")), Ct))!));
        await t.Db.PutAsync(items, Row(("id", "d"), ("name", "no counter yet")), Ct);
        await t.Db.IncrAsync(items, Row(("id", "d"), ("hits", long.MaxValue - 1)), Ct);
        await t.Db.IncrAsync(items, Row(("id", "d"), ("hits", 1)), Ct);
        Assert.Equal(long.MaxValue, (await t.Db.GetAsync(items, Row(("id", "d")), Ct))!["hits"]);
    }

    [Fact]
    public async Task Del_reports_whether_a_row_was_deleted()
    {
        await using var t = await OpenAsync();
        var pairs = t.T("pairs");
        await t.Db.PutAsync(pairs, Row(("a", "x"), ("b", 1), ("v", "one")), Ct);
        await t.Db.PutAsync(pairs, Row(("a", "x"), ("b", 2), ("v", "two")), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(pairs, Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.DelAsync(pairs, Row(("a", "x"), ("b", 1)), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(pairs, Row(("a", "x"), ("b", 1)), Ct));
        Assert.Equal("two", (await t.Db.GetAsync(pairs, Row(("a", "x"), ("b", "2")), Ct))!["v"]);
    }

    [Fact]
    public async Task Values_of_the_wrong_type_are_400_before_anything_is_written()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(items, Row(("id", "a"), ("n", "abc")), Ct))).Status);
        Assert.Null(await t.Db.GetAsync(items, Row(("id", "a")), Ct));
        // Beyond DynamoDB's number range (about 1E126): DynamoDB's validation error is a 400 too.
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(items, Row(("id", "a"), ("score", 1e300)), Ct))).Status);
    }

    [Fact]
    public async Task Json_is_stored_as_its_text()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "j"), ("doc", new JsonObject { ["a"] = 1 })), Ct);
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "j" } } }, Ct);
        Assert.Equal("{\"a\":1}", raw.Item["doc"].S);
    }
}
