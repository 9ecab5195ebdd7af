using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Tests.Data;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Every logical type goes into Redis and comes back as the same value of the same CLR type as with SQLite,
/// through Get and Select, in plain and in indexed columns (whose order encodings must sort like SQLite).</summary>
public sealed class RedisTypeTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    private static void Items(TableRegistry tables, string prefix) => tables
        .Add(prefix + "items", t => t
            .Column("id", primary: true)
            .Column("name")
            .Column("n", ColumnType.Int)
            .Column("big", ColumnType.BigInt)
            .Column("score", ColumnType.Real)
            .Column("flag", ColumnType.Bool)
            .Column("doc", ColumnType.Json)
            .Column("hits", ColumnType.Counter))
        .Add(prefix + "indexed", t => t
            .Column("id", ColumnType.Int, primary: true)
            .Column("name", index: 1)
            .Column("big", ColumnType.BigInt, index: 2)
            .Column("score", ColumnType.Real, index: 3)
            .Column("flag", ColumnType.Bool, index: 4)
            .Column("doc", ColumnType.Json, index: 5));

    /// <summary>Writes the value, reads it back with Get and Select, also in SQLite, and checks all four agree.</summary>
    private async Task<object?> RoundTrip(string column, object? value)
    {
        await using var r = await targets.Redis.OpenAsync(Items);
        await using var s = await targets.Sqlite.OpenAsync(Items);
        object? result = null;
        foreach (var t in new[] { s, r })
        {
            await t.Db.PutAsync(t.T("items"), Row(("id", "rt"), (column, value)), Ct);
            var got = (await t.Db.GetAsync(t.T("items"), Row(("id", "rt")), Ct))?.GetValueOrDefault(column);
            var selected = Assert.Single((await t.Db.SelectAsync(t.T("items"), Row(("id", "rt")), Ct)).Rows).GetValueOrDefault(column);
            Assert.Equal(Canon(Row((column, got))), Canon(Row((column, selected))));
            if (result is not null)
            {
                Assert.Equal(result.GetType(), got?.GetType());
                Assert.Equal(Canon(Row((column, result))), Canon(Row((column, got))));
            }
            result = got;
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(TypeRoundTripTests.Texts), MemberType = typeof(TypeRoundTripTests))]
    public async Task Text_round_trips_exactly(string text)
    {
        Assert.Equal(text, Assert.IsType<string>(await RoundTrip("name", text)));
    }

    [Theory]
    [MemberData(nameof(TypeRoundTripTests.Integers), MemberType = typeof(TypeRoundTripTests))]
    public async Task Integers_round_trip_as_long(string column, object value, long expected)
    {
        Assert.Equal(expected, Assert.IsType<long>(await RoundTrip(column, value)));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(1795970688797L)]
    [InlineData(-1795970688797L)]
    [InlineData(0L)]
    public async Task Big_integers_round_trip_in_every_integer_column(long value)
    {
        foreach (var column in new[] { "big", "hits", "n" })
        {
            if (column == "n" && value is > int.MaxValue or < int.MinValue) continue;
            Assert.Equal(value, Assert.IsType<long>(await RoundTrip(column, value)));
        }
    }

    [Theory]
    [MemberData(nameof(TypeRoundTripTests.Reals), MemberType = typeof(TypeRoundTripTests))]
    public async Task Reals_round_trip_exactly_as_double(object value, double expected)
    {
        Assert.Equal(expected, Assert.IsType<double>(await RoundTrip("score", value)));
    }

    [Theory]
    [MemberData(nameof(TypeRoundTripTests.Bools), MemberType = typeof(TypeRoundTripTests))]
    public async Task Bools_stay_bools(object value, bool expected)
    {
        Assert.Equal(expected, Assert.IsType<bool>(await RoundTrip("flag", value)));
    }

    [Theory]
    [MemberData(nameof(TypeRoundTripTests.JsonTexts), MemberType = typeof(TypeRoundTripTests))]
    public async Task Json_comes_back_deep_equal(string json)
    {
        var node = JsonNode.Parse(json);
        Assert.True(JsonNode.DeepEquals(node, Assert.IsAssignableFrom<JsonNode>(await RoundTrip("doc", node))));
    }

    [Fact]
    public async Task Deeply_nested_json_comes_back_deep_equal()
    {
        var node = JsonNode.Parse("{\"a\":{\"b\":{\"c\":[1,{\"d\":[true,null,\"é😀\",{\"e\":-1e-300,\"f\":9223372036854775807}]}]}},\"q\":\"it's \\\"x\\\"\"}");
        Assert.True(JsonNode.DeepEquals(node, Assert.IsAssignableFrom<JsonNode>(await RoundTrip("doc", node))));
    }

    [Fact]
    public async Task A_200_kb_text_and_json_round_trip()
    {
        var text = string.Concat(Enumerable.Range(0, 200 * 1024 / 8 + 1).Select(i => $"{i % 10}é😀'\"\\\n"))[..(200 * 1024)];
        Assert.Equal(text, await RoundTrip("name", text));
        var json = new JsonArray([.. Enumerable.Range(0, 20_000).Select(i => (JsonNode?)$"v{i}")]);
        Assert.True(JsonNode.DeepEquals(json, (JsonNode?)await RoundTrip("doc", json)));
    }

    [Fact]
    public async Task Text_with_nul_characters_round_trips_and_sorts_in_code_point_order()
    {
        targets.Redis.RequireServer();
        await using var r = await targets.Redis.OpenAsync(Items);
        string[] keys = ["a\u0001", "a\0b", "a", "a\0", "\0", "b", "a\0\0"];
        foreach (var k in keys) await r.Db.PutAsync(r.T("items"), Row(("id", k), ("name", k + "\0v")), Ct);
        foreach (var k in keys) Assert.Equal(k + "\0v", (await r.Db.GetAsync(r.T("items"), Row(("id", k)), Ct))?["name"]);
        var ordered = (await r.Db.SelectAsync(r.T("items"), null, Ct)).Rows.Select(x => (string)x["id"]!).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), ordered);
        var prefixed = (await r.Db.SelectAsync(r.T("items"), Row(("id", "a\0")), new DbOptions().Op("id", DbCompare.BeginsWith), Ct)).Rows.Select(x => (string)x["id"]!);
        Assert.Equal(["a\0", "a\0\0", "a\0b"], prefixed);
    }

    [Fact]
    public async Task Indexed_columns_of_every_type_sort_like_sqlite()
    {
        targets.Redis.RequireServer();
        await using var r = await targets.Redis.OpenAsync(Items);
        await using var s = await targets.Sqlite.OpenAsync(Items);
        var texts = TypeRoundTripTests.Texts.Select(x => (string)x.Data).Concat(["\uFFFD", "\uE000", "😀", "Z", ""]).ToList();
        object?[] bigs = [long.MaxValue, long.MinValue, 1795970688797L, -1795970688797L, 0L, -1L, 1L, 9L, 10L, -9L, -10L, 99L, -100L, null];
        object?[] reals = [0.1, -1e300, 1e300, double.MaxValue, -double.MaxValue, double.Epsilon, -double.Epsilon, 0.0, -0.0, -0.5, 2.5, null, 1.0 / 3];
        object?[] docs = [null, "{\"a\":1}", "[1,2]", "\"s\"", "12", "{\"é\":\"😀\"}", "[]"];
        for (var i = 0; i < texts.Count; i++)
        {
            var row = Row(("id", i), ("name", texts[i]), ("big", bigs[i % bigs.Length]), ("score", reals[i % reals.Length]), ("flag", i % 3 == 2 ? null : i % 3 == 0), ("doc", docs[i % docs.Length]));
            foreach (var t in new[] { r, s }) await t.Db.PutAsync(t.T("indexed"), row, Ct);
        }
        foreach (var sort in new[] { "name", "big", "score", "flag", "doc" })
        {
            foreach (var desc in new[] { false, true })
            {
                var rr = await AllPages(r.Db, r.T("indexed"), null, () => new DbOptions { Sort = sort, Desc = desc, Count = 4 });
                var ss = await AllPages(s.Db, s.T("indexed"), null, () => new DbOptions { Sort = sort, Desc = desc, Count = 4 });
                Assert.Equal(ss.SelectMany(p => Canon(p.Rows)), rr.SelectMany(p => Canon(p.Rows)));
                Assert.Equal(ss.Select(p => p.NextToken), rr.Select(p => p.NextToken));
            }
        }
        await AssertIndexesConsistent(targets.Raw(), r.Db.Table(r.T("indexed")));
    }
}
