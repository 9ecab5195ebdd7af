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
        await t.Db.PutAsync(t.T("items"), Row(("id", id), ("name", text), ("note", text)), Ct);
        var row = await t.Db.GetAsync(t.T("items"), Row(("id", id)), Ct);
        Assert.Equal(Row(("id", id), ("name", text), ("note", text)), row);
        Assert.Equal([id], Ids(await t.Db.SelectAsync(t.T("items"), Row(("name", text)), Ct)));
        Assert.Equal([id], Ids(await t.Db.SelectAsync(t.T("items"), Row(("note", text)), Ct)));
    }

    [Fact]
    public async Task Long_text_and_json_round_trip()
    {
        Target.RequireServer();
        await using var t = await Open();
        var big = string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + i % 26) + (i % 3 == 0 ? "é" : "😀")));
        var doc = new JsonObject { ["text"] = big, ["list"] = new JsonArray([.. Enumerable.Range(0, 2000).Select(i => (JsonNode)i)]) };
        await t.Db.PutAsync(t.T("items"), Row(("id", "big"), ("note", big), ("doc", doc)), Ct);
        var row = (await t.Db.GetAsync(t.T("items"), Row(("id", "big")), Ct))!;
        Assert.True(big == (string?)row["note"], "long text differs");
        Assert.True(JsonNode.DeepEquals(doc, (JsonNode?)row["doc"]));
        var max = new string('x', DbValues.DefaultMaxLength);
        await t.Db.PutAsync(t.T("items"), Row(("id", "max"), ("note", max)), Ct);
        Assert.True(max == (string?)(await t.Db.GetAsync(t.T("items"), Row(("id", "max")), Ct))!["note"], "longest text differs");
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Longs), MemberType = typeof(SqlDriverData))]
    public async Task Integers_round_trip_as_longs_in_int_bigint_counter_and_key_columns(long value)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("n", value), ("big", value), ("hits", value)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", value), ("big", value), ("hits", value)), await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", value)), Ct);
        Assert.Equal(Row(("a", "x"), ("b", value)), await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", value)), Ct));
        Assert.Equal(["a"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("big", value)), Ct)));
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Doubles), MemberType = typeof(SqlDriverData))]
    public async Task Reals_round_trip_bit_for_bit(double value)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("score", value)), Ct);
        var back = (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["score"];
        Assert.IsType<double>(back);
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits((double)back));
        Assert.Equal(["a"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("score", value)), Ct)));
    }

    [Fact]
    public async Task Bools_round_trip_as_bools_and_compare_with_any_bool_spelling()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "t"), ("flag", true)), Ct);
        await t.Db.PutAsync(t.T("items"), Row(("id", "f"), ("flag", "no")), Ct);
        await t.Db.PutAsync(t.T("items"), Row(("id", "n")), Ct);
        Assert.Equal(true, (await t.Db.GetAsync(t.T("items"), Row(("id", "t")), Ct))!["flag"]);
        Assert.Equal(false, (await t.Db.GetAsync(t.T("items"), Row(("id", "f")), Ct))!["flag"]);
        Assert.False((await t.Db.GetAsync(t.T("items"), Row(("id", "n")), Ct))!.ContainsKey("flag"));
        Assert.Equal(["t"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("flag", "1")), Ct)));
        Assert.Equal(["f"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("flag", false)), Ct)));
        Assert.Equal(["f", "t"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("flag", null)), new DbOptions().Op("flag", DbCompare.Ne), Ct)));
    }

    [Theory]
    [MemberData(nameof(SqlDriverData.Jsons), MemberType = typeof(SqlDriverData))]
    public async Task Json_round_trips_to_an_equal_json_node(string json)
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("doc", json)), Ct);
        var back = (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["doc"];
        var node = Assert.IsAssignableFrom<JsonNode>(back);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), node), $"{json} came back as {node.ToJsonString()}");
        // updates and upserts bind JSON the same way
        await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("doc", json)), Ct);
        await t.Db.IncrAsync(t.T("items"), Row(("id", "a"), ("doc", json), ("hits", 1)), Ct);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), (JsonNode?)(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["doc"]));
    }

    [Fact]
    public async Task A_plain_string_into_a_json_column_is_a_json_string_and_nulls_are_left_out_of_rows()
    {
        Target.RequireServer();
        await using var t = await Open();
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("doc", "not json"), ("name", null), ("n", null)), Ct);
        var row = (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!;
        Assert.Equal(["id", "doc"], row.Keys);
        Assert.Equal("not json", ((JsonNode)row["doc"]!).GetValue<string>());
    }

    [Fact]
    public async Task Values_of_the_wrong_type_are_400_and_nothing_is_written()
    {
        Target.RequireServer();
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("n", "abc")), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }
}
