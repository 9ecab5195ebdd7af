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
        Assert.Equal(1, (await t.Db.Put(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5), ("score", 1.5)), null, Ct)).Affected);
        var row = await t.Db.Get(items, Row(("id", "a")), null, Ct);
        Assert.Equal("{id=s:a;n=l:5;name=s:Alpha;score=d:1.5;}", Canon(row!));
        await t.Db.Put(items, Row(("id", "a"), ("n", 6)), null, Ct);
        Assert.Equal("{id=s:a;n=l:6;}", Canon((await t.Db.Get(items, Row(("id", "a")), null, Ct))!));
    }

    [Fact]
    public async Task Get_of_a_missing_row_is_null_and_select_option_limits_the_columns()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Null(await t.Db.Get(items, Row(("id", "nope")), null, Ct));
        await t.Db.Put(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5)), null, Ct);
        Assert.Equal("{name=s:Alpha;}", Canon((await t.Db.Get(items, Row(("id", "a")), new DbOptions { Select = ["name", "bogus"] }, Ct))!));
        // Nothing known selected: the whole row, as on SQL.
        Assert.Equal(3, (await t.Db.Get(items, Row(("id", "a")), new DbOptions { Select = ["bogus"] }, Ct))!.Count);
    }

    [Fact]
    public async Task Add_of_an_existing_key_is_409_and_changes_nothing()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.Add(items, Row(("id", "a"), ("name", "first")), null, Ct)).Affected);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.Add(items, Row(("id", "a"), ("name", "second")), null, Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await t.Db.Get(items, Row(("id", "a")), null, Ct))!["name"]);

        var pairs = t.T("pairs");
        await t.Db.Add(pairs, Row(("a", "x"), ("b", 1)), null, Ct);
        await t.Db.Add(pairs, Row(("a", "x"), ("b", 2)), null, Ct);
        Assert.Equal(409, (await Assert.ThrowsAsync<DbException>(() => t.Db.Add(pairs, Row(("a", "x"), ("b", 1)), null, Ct))).Status);
    }

    [Fact]
    public async Task Update_of_a_missing_row_affects_nothing_and_creates_nothing()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        Assert.Equal(0, (await t.Db.Update(items, Row(("id", "ghost"), ("name", "x")), null, Ct)).Affected);
        Assert.Equal(0, (await t.Db.Update(items, Row(("id", "ghost")), null, Ct)).Affected);
        Assert.Null(await t.Db.Get(items, Row(("id", "ghost")), null, Ct));
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "ghost" } }, ConsistentRead = true }, Ct);
        Assert.True(raw.Item is null or { Count: 0 });
    }

    [Fact]
    public async Task Update_changes_only_the_given_columns_and_null_removes_a_column()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        await t.Db.Put(items, Row(("id", "a"), ("name", "Alpha"), ("n", 5), ("flag", true)), null, Ct);
        Assert.Equal(1, (await t.Db.Update(items, Row(("id", "a"), ("n", 7), ("flag", null)), null, Ct)).Affected);
        Assert.Equal("{id=s:a;n=l:7;name=s:Alpha;}", Canon((await t.Db.Get(items, Row(("id", "a")), null, Ct))!));
        // NULL is an absent attribute, not a NULL value.
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "a" } }, ConsistentRead = true }, Ct);
        Assert.False(raw.Item.ContainsKey("flag"));
        Assert.Equal(1, (await t.Db.Update(items, Row(("id", "a")), null, Ct)).Affected);
    }

    [Fact]
    public async Task Replace_creates_a_missing_row_and_keeps_the_other_columns_of_an_existing_one()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.Replace(items, Row(("id", "a"), ("name", "Alpha")), null, Ct)).Affected);
        Assert.Equal("{id=s:a;name=s:Alpha;}", Canon((await t.Db.Get(items, Row(("id", "a")), null, Ct))!));
        await t.Db.Update(items, Row(("id", "a"), ("n", 3)), null, Ct);
        await t.Db.Replace(items, Row(("id", "a"), ("name", "Beta")), null, Ct);
        Assert.Equal("{id=s:a;n=l:3;name=s:Beta;}", Canon((await t.Db.Get(items, Row(("id", "a")), null, Ct))!));
        // Only the key: created when missing (1), nothing when present (0), like ON CONFLICT DO NOTHING.
        Assert.Equal(1, (await t.Db.Replace(items, Row(("id", "k")), null, Ct)).Affected);
        Assert.Equal(0, (await t.Db.Replace(items, Row(("id", "k")), null, Ct)).Affected);
        Assert.Equal("{id=s:k;}", Canon((await t.Db.Get(items, Row(("id", "k")), null, Ct))!));
    }

    [Fact]
    public async Task Incr_adds_to_counters_sets_other_columns_and_creates_the_row()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(1, (await t.Db.Incr(items, Row(("id", "c"), ("hits", 2), ("name", "one")), null, Ct)).Affected);
        await t.Db.Incr(items, Row(("id", "c"), ("hits", -5), ("name", "two")), null, Ct);
        await t.Db.Incr(items, Row(("id", "c"), ("hits", ""), ("n", 1)), null, Ct);
        Assert.Equal("{hits=l:-3;id=s:c;n=l:1;name=s:two;}", Canon((await t.Db.Get(items, Row(("id", "c")), null, Ct))!));
        await t.Db.Put(items, Row(("id", "d"), ("name", "no counter yet")), null, Ct);
        await t.Db.Incr(items, Row(("id", "d"), ("hits", long.MaxValue - 1)), null, Ct);
        await t.Db.Incr(items, Row(("id", "d"), ("hits", 1)), null, Ct);
        Assert.Equal(long.MaxValue, (await t.Db.Get(items, Row(("id", "d")), null, Ct))!["hits"]);
    }

    [Fact]
    public async Task Del_reports_whether_a_row_was_deleted()
    {
        await using var t = await OpenAsync();
        var pairs = t.T("pairs");
        await t.Db.Put(pairs, Row(("a", "x"), ("b", 1), ("v", "one")), null, Ct);
        await t.Db.Put(pairs, Row(("a", "x"), ("b", 2), ("v", "two")), null, Ct);
        Assert.Equal(1, (await t.Db.Del(pairs, Row(("a", "x"), ("b", 1)), null, Ct)).Affected);
        Assert.Equal(0, (await t.Db.Del(pairs, Row(("a", "x"), ("b", 1)), null, Ct)).Affected);
        Assert.Null(await t.Db.Get(pairs, Row(("a", "x"), ("b", 1)), null, Ct));
        Assert.Equal("two", (await t.Db.Get(pairs, Row(("a", "x"), ("b", "2")), null, Ct))!["v"]);
    }

    [Fact]
    public async Task Values_of_the_wrong_type_are_400_before_anything_is_written()
    {
        await using var t = await OpenAsync();
        var items = t.T("items");
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.Put(items, Row(("id", "a"), ("n", "abc")), null, Ct))).Status);
        Assert.Null(await t.Db.Get(items, Row(("id", "a")), null, Ct));
        // Beyond DynamoDB's number range (about 1E126): DynamoDB's validation error is a 400 too.
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.Put(items, Row(("id", "a"), ("score", 1e300)), null, Ct))).Status);
    }

    [Fact]
    public async Task Json_is_stored_as_its_text()
    {
        await using var t = await OpenAsync();
        var driver = Driver(t);
        var items = t.T("items");
        await t.Db.Put(items, Row(("id", "j"), ("doc", new JsonObject { ["a"] = 1 })), null, Ct);
        var raw = await driver.Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "j" } } }, Ct);
        Assert.Equal("{\"a\":1}", raw.Item["doc"].S);
    }
}
