using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Every type round-trips to an equal value, in plain columns, key columns and index key columns.</summary>
public sealed class DynamoDbTypeTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    private const string Nested = "{\"a\":{\"b\":[1,2.5,\"x\",null,true,{\"c\":\"ü😀\"}]},\"n\":9223372036854775807}";

    public static TheoryData<string, object?, string> Values => new()
    {
        { "n", long.MaxValue, "l:9223372036854775807" },
        { "n", long.MinValue, "l:-9223372036854775808" },
        { "big", 1795970688797L, "l:1795970688797" },
        { "n", -5, "l:-5" },
        { "n", 0, "l:0" },
        { "n", "42", "l:42" },
        { "score", 0.1, "d:0.1" },
        { "score", -2.5, "d:-2.5" },
        { "score", 1e-5, "d:1E-05" },
        { "score", 1.0 / 3, "d:0.3333333333333333" },
        { "score", 1e20, "d:1E+20" },
        { "score", 123456789.125, "d:123456789.125" },
        { "score", 3, "d:3" },
        { "flag", true, "b:True" },
        { "flag", false, "b:False" },
        { "flag", "yes", "b:True" },
        { "name", "héllo wörld ✓ 日本語 😀", "s:héllo wörld ✓ 日本語 😀" },
        { "name", "", "s:" },
        { "name", "  spaced  ", "s:  spaced  " },
        { "doc", Nested, "json:" + JsonNode.Parse(Nested)!.ToJsonString() },
        { "doc", "[1,2,3]", "json:[1,2,3]" },
        { "doc", "\"just text\"", "json:\"just text\"" },
        { "doc", "not json", "json:\"not json\"" },
        { "doc", "42", "json:42" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task Values_round_trip(string column, object? value, string expected)
    {
        await using var t = await OpenAsync(Items);
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "x"), (column, value)), Ct);
        var row = (await t.Db.GetAsync(items, Row(("id", "x")), Ct))!;
        string Expected(string id) => string.CompareOrdinal(column, "id") < 0 ? $"{{{column}={expected};id=s:{id};}}" : $"{{id=s:{id};{column}={expected};}}";
        Assert.Equal(Expected("x"), Canon(row));
        // The same through a scan and through Update.
        Assert.Equal(Canon(row), Canon((await t.Db.SelectAsync(items, null, Ct)).Rows.Single()));
        await t.Db.PutAsync(items, Row(("id", "y")), Ct);
        await t.Db.UpdateAsync(items, Row(("id", "y"), (column, value)), Ct);
        Assert.Equal(Expected("y"), Canon((await t.Db.GetAsync(items, Row(("id", "y")), Ct))!));
    }

    [Fact]
    public async Task Long_max_value_is_stored_with_every_digit()
    {
        await using var t = await OpenAsync(Items);
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "x"), ("n", long.MaxValue), ("big", 1795970688797L)), Ct);
        var raw = await Driver(t).Client.GetItemAsync(new GetItemRequest { TableName = items, Key = new() { ["id"] = new AttributeValue { S = "x" } } }, Ct);
        Assert.Equal("9223372036854775807", raw.Item["n"].N);
        Assert.Equal("1795970688797", raw.Item["big"].N);
        Assert.Single(await t.Db.SelectAsync(items, Row(("n", long.MaxValue)), Ct) is var r ? r.Rows : []);
        Assert.Empty((await t.Db.SelectAsync(items, Row(("n", long.MaxValue - 1)), Ct)).Rows);
    }

    [Fact]
    public async Task Numeric_and_bool_keys_and_index_keys_round_trip()
    {
        await using var t = await OpenAsync((tables, p) => tables.Add(p + "typed", s => s
            .Column("k", ColumnType.BigInt, primary: true)
            .Column("r", ColumnType.Real, primary: true)
            .Column("on", ColumnType.Bool, index: 1)
            .Column("j", ColumnType.Json, index: 2)));
        var typed = t.T("typed");
        await t.Db.PutAsync(typed, Row(("k", long.MaxValue), ("r", 0.1), ("on", true), ("j", "{\"x\":[1]}")), Ct);
        await t.Db.PutAsync(typed, Row(("k", -5), ("r", -2.5), ("on", false), ("j", "[]")), Ct);
        Assert.Equal("{j=json:{\"x\":[1]};k=l:9223372036854775807;on=b:True;r=d:0.1;}", Canon((await t.Db.GetAsync(typed, Row(("k", long.MaxValue), ("r", 0.1)), Ct))!));
        Assert.Equal([-5L, long.MaxValue], (await t.Db.SelectAsync(typed, null, Ct)).Rows.Select(x => (long)x["k"]!));
        // A bool index key is stored as N 1/0 (keys cannot be BOOL) and still reads and compares as a bool.
        Assert.Equal([long.MaxValue], (await t.Db.SelectAsync(typed, Row(("on", true)), Ct)).Rows.Select(x => (long)x["k"]!));
        Assert.Equal([-5L], (await t.Db.SelectAsync(typed, Row(("on", "false")), Ct)).Rows.Select(x => (long)x["k"]!));
        Assert.Equal([-5L], (await t.Db.SelectAsync(typed, Row(("j", new JsonArray())), Ct)).Rows.Select(x => (long)x["k"]!));
        Assert.True(Driver(t).IndexQueries >= 3);
    }
}
