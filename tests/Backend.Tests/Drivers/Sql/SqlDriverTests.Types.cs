using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Every type round-trips to the same canonical value SQLite returns: string, long, double, bool, JsonNode.</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    [Theory]
    [MemberData(nameof(SqlDriverData.Texts), MemberType = typeof(SqlDriverData))]
    public async Task Text_round_trips_exactly_in_plain_key_and_indexed_columns(string text)
    {
        Target.RequireServer();
        await using var t = await Open();
        var id = "k" + text;
        await t.Db.Put(t.T("items"), Row(("id", id), ("name", text), ("note", text)), null, Ct);
        var row = await t.Db.Get(t.T("items"), Row(("id", id)), null, Ct);
        Assert.Equal(Row(("id", id), ("name", text), ("note", text)), row);
        Assert.Equal([id], Ids(await t.Db.Select(t.T("items"), Row(("name", text)), null, Ct)));
        Assert.Equal([id], Ids(await t.Db.Select(t.T("items"), Row(("note", text)), null, Ct)));
    }

    [Fact]
    public async Task Long_text_and_json_round_trip()
    {
        Target.RequireServer();
        await using var t = await Open();
        var big = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + i % 26) + (i % 3 == 0 ? "é" : "😀")));
        var doc = new JsonObject { ["text"] = big, ["list"] = new JsonArray([.. Enumerable.Range(0, 2000).Select(i => (JsonNode)i)]) };
        await t.Db.Put(t.T("items"), Row(("id", "big"), ("note", big), ("doc", doc)), null, Ct);
        var row = (await t.Db.Get(t.T("items"), Row(("id", "big")), null, Ct))!;
        Assert.True(big == (string?)row["note"], "long text differs");
        Assert.True(JsonNode.DeepEquals(doc, (JsonNode?)row["doc"]));
        var max = new string('x', DbValues.DefaultMaxLength);
        await t.Db.Put(t.T("items"), Row(("id", "max"), ("note", max)), null, Ct);
        Assert.True(max == (string?)(await t.Db.Get(t.T("items"), Row(("id", "max")), null, Ct))!["note"], "longest text differs");
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Longs), MemberType = typeof(SqlDriverData))]
    public async Task Integers_round_trip_as_longs_in_int_bigint_counter_and_key_columns(long value)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.Put(t.T("items"), Row(("id", "a"), ("n", value), ("big", value), ("hits", value)), null, Ct);
        Assert.Equal(Row(("id", "a"), ("n", value), ("big", value), ("hits", value)), await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct));
        await t.Db.Put(t.T("pairs"), Row(("a", "x"), ("b", value)), null, Ct);
        Assert.Equal(Row(("a", "x"), ("b", value)), await t.Db.Get(t.T("pairs"), Row(("a", "x"), ("b", value)), null, Ct));
        Assert.Equal(["a"], Ids(await t.Db.Select(t.T("items"), Row(("big", value)), null, Ct)));
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Doubles), MemberType = typeof(SqlDriverData))]
    public async Task Reals_round_trip_bit_for_bit(double value)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.Put(t.T("items"), Row(("id", "a"), ("score", value)), null, Ct);
        var back = (await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct))!["score"];
        Assert.IsType<double>(back);
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits((double)back));
        Assert.Equal(["a"], Ids(await t.Db.Select(t.T("items"), Row(("score", value)), null, Ct)));
    }

    [Fact]
    public async Task Bools_round_trip_as_bools_and_compare_with_any_bool_spelling()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.Put(t.T("items"), Row(("id", "t"), ("flag", true)), null, Ct);
        await t.Db.Put(t.T("items"), Row(("id", "f"), ("flag", "no")), null, Ct);
        await t.Db.Put(t.T("items"), Row(("id", "n")), null, Ct);
        Assert.Equal(true, (await t.Db.Get(t.T("items"), Row(("id", "t")), null, Ct))!["flag"]);
        Assert.Equal(false, (await t.Db.Get(t.T("items"), Row(("id", "f")), null, Ct))!["flag"]);
        Assert.False((await t.Db.Get(t.T("items"), Row(("id", "n")), null, Ct))!.ContainsKey("flag"));
        Assert.Equal(["t"], Ids(await t.Db.Select(t.T("items"), Row(("flag", "1")), null, Ct)));
        Assert.Equal(["f"], Ids(await t.Db.Select(t.T("items"), Row(("flag", false)), null, Ct)));
        Assert.Equal(["f", "t"], Ids(await t.Db.Select(t.T("items"), Row(("flag", null)), new DbOptions().Op("flag", DbCompare.Ne), Ct)));
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Jsons), MemberType = typeof(SqlDriverData))]
    public async Task Json_round_trips_to_an_equal_json_node(string json)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.Put(t.T("items"), Row(("id", "a"), ("doc", json)), null, Ct);
        var back = (await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct))!["doc"];
        var node = Assert.IsAssignableFrom<JsonNode>(back);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), node), $"{json} came back as {node.ToJsonString()}");
        // updates and upserts bind JSON the same way
        await t.Db.Update(t.T("items"), Row(("id", "a"), ("doc", json)), null, Ct);
        await t.Db.Incr(t.T("items"), Row(("id", "a"), ("doc", json), ("hits", 1)), null, Ct);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), (JsonNode?)(await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct))!["doc"]));
    }

    [Fact]
    public async Task A_plain_string_into_a_json_column_is_a_json_string_and_nulls_are_left_out_of_rows()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.Put(t.T("items"), Row(("id", "a"), ("doc", "not json"), ("name", null), ("n", null)), null, Ct);
        var row = (await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct))!;
        Assert.Equal(["id", "doc"], row.Keys);
        Assert.Equal("not json", ((JsonNode)row["doc"]!).GetValue<string>());
    }

    [Fact]
    public async Task Values_of_the_wrong_type_are_400_and_nothing_is_written()
    {
        Target.RequireServer();
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.Put(t.T("items"), Row(("id", "a"), ("n", "abc")), null, Ct));
        Assert.Equal(400, ex.Status);
        Assert.Null(await t.Db.Get(t.T("items"), Row(("id", "a")), null, Ct));
    }
}
