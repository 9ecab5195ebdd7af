using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>Every logical type goes into SQLite and comes back as the same value of the same CLR type, through Get and Select.</summary>
public sealed class TypeRoundTripTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<TestDatabase> Open() => TestDatabase.OpenAsync(dir.NewFile("types"), All);

    /// <summary>Writes the value into the column, reads it back with Get and with Select, and returns both.</summary>
    private static async Task<(object? Get, object? Select)> RoundTrip(TestDatabase t, string column, object? value)
    {
        await t.Db.PutAsync(Items, Row(("id", "rt"), (column, value)), Ct);
        var got = await t.Db.GetAsync(Items, Row(("id", "rt")), Ct);
        var selected = Assert.Single((await t.Db.SelectAsync(Items, Row(("id", "rt")), Ct)).Rows);
        return (got?.GetValueOrDefault(column), selected.GetValueOrDefault(column));
    }

    public static TheoryData<string> Texts =>
    [
        "plain",
        "",
        " leading and trailing spaces ",
        "héllo wörld ünïcödé ñ ß",
        "日本語のテキスト 中文 한국어",
        "emoji 😀🎉👍🏽 family 👨‍👩‍👧‍👦 flag 🇺🇦",
        "it's \"quoted\" `backticked`",
        "back\\slash \\\\ double \\n not-a-newline",
        "'; drop table items; --",
        "\" OR 1=1; /* comment */ -- ; DELETE FROM items",
        "100% _under_score [brackets] {braces} (parens) $1 ?1 @p0 :name",
        "line1\nline2\r\nline3\ttab",
        "\u0001\u001f control chars \u007f",
        "surrogates 𝄞 𐐷",
        "0123",
        "1e5",
        "true",
        "null",
        "[1,2]",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task Text_round_trips_exactly(string text)
    {
        await using var t = await Open();
        var (get, select) = await RoundTrip(t, "name", text);
        Assert.Equal(text, Assert.IsType<string>(get));
        Assert.Equal(text, Assert.IsType<string>(select));
    }

    [Fact]
    public async Task Text_works_as_a_primary_key_and_is_not_coerced()
    {
        await using var t = await Open();
        foreach (var key in new[] { "007", "7", "7.0", "😀", "a'b", "A", "a" }) await t.Db.PutAsync(Items, Row(("id", key), ("name", key)), Ct);
        foreach (var key in new[] { "007", "7", "7.0", "😀", "a'b", "A", "a" })
            Assert.Equal(key, (await t.Db.GetAsync(Items, Row(("id", key)), Ct))?["name"]);
        Assert.Equal(7, (await t.Db.SelectAsync(Items, null, Ct)).Rows.Count);
    }

    public static TheoryData<string, object, long> Integers => new()
    {
        { "n", 0, 0 },
        { "n", 1, 1 },
        { "n", -1, -1 },
        { "n", int.MaxValue, int.MaxValue },
        { "n", int.MinValue, int.MinValue },
        { "n", "42", 42 },
        { "n", " -42", -42 },
        { "n", 42.0, 42 },
        { "n", "42.0", 42 },
        { "n", (short)7, 7 },
        { "big", 1795970688797L, 1795970688797L },
        { "big", "1795970688797", 1795970688797L },
        { "big", long.MaxValue, long.MaxValue },
        { "big", "9223372036854775807", long.MaxValue },
        { "big", long.MinValue, long.MinValue },
        { "big", 1795970688797.0, 1795970688797L },
        { "hits", 123L, 123 },
    };

    [Theory]
    [MemberData(nameof(Integers))]
    public async Task Integers_round_trip_as_long(string column, object value, long expected)
    {
        await using var t = await Open();
        var (get, select) = await RoundTrip(t, column, value);
        Assert.Equal(expected, Assert.IsType<long>(get));
        Assert.Equal(expected, Assert.IsType<long>(select));
    }

    public static TheoryData<object, double> Reals => new()
    {
        { 0.1, 0.1 },
        { 0.1 + 0.2, 0.1 + 0.2 },
        { -2.5, -2.5 },
        { 1.0 / 3.0, 1.0 / 3.0 },
        { 1e300, 1e300 },
        { -1e-300, -1e-300 },
        { double.Epsilon, double.Epsilon },
        { double.MaxValue, double.MaxValue },
        { 3.0, 3.0 },
        { 0.0, 0.0 },
        { 7L, 7.0 },
        { "2.75", 2.75 },
        { "-1e10", -1e10 },
        { 1.5f, 1.5 },
    };

    [Theory]
    [MemberData(nameof(Reals))]
    public async Task Reals_round_trip_exactly_as_double(object value, double expected)
    {
        await using var t = await Open();
        var (get, select) = await RoundTrip(t, "score", value);
        Assert.Equal(expected, Assert.IsType<double>(get));
        Assert.Equal(expected, Assert.IsType<double>(select));
    }

    public static TheoryData<object, bool> Bools => new()
    {
        { true, true },
        { false, false },
        { "1", true },
        { "0", false },
        { "true", true },
        { "false", false },
        { "TRUE", true },
        { "yes", true },
        { "off", false },
        { 1, true },
        { 0L, false },
    };

    [Theory]
    [MemberData(nameof(Bools))]
    public async Task Bools_stay_bools(object value, bool expected)
    {
        await using var t = await Open();
        var (get, select) = await RoundTrip(t, "flag", value);
        Assert.Equal(expected, Assert.IsType<bool>(get));
        Assert.Equal(expected, Assert.IsType<bool>(select));
    }

    public static TheoryData<string> JsonTexts =>
    [
        "{\"a\":1,\"b\":\"two\",\"c\":[1,2,{\"d\":null}],\"e\":true,\"f\":1.5,\"g\":{}}",
        "[1,\"two\",3.25,true,false,null,[],{\"x\":[{\"y\":\"z\"}]}]",
        "{\"text\":\"héllo 😀 'q' \\\"dq\\\" \\\\ </script> \\u0000-free\",\"big\":9223372036854775807,\"neg\":-1e-300}",
        "[]",
        "{}",
        "\"just a string\"",
        "42",
    ];

    [Theory]
    [MemberData(nameof(JsonTexts))]
    public async Task Json_comes_back_deep_equal(string json)
    {
        await using var t = await Open();
        var node = JsonNode.Parse(json);
        var (get, select) = await RoundTrip(t, "doc", node);
        Assert.True(JsonNode.DeepEquals(node, Assert.IsAssignableFrom<JsonNode>(get)), $"got {(get as JsonNode)?.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(node, Assert.IsAssignableFrom<JsonNode>(select)));
    }

    [Fact]
    public async Task Json_from_json_text_and_from_objects_is_stored_as_json()
    {
        await using var t = await Open();
        var (fromText, _) = await RoundTrip(t, "doc", "{\"a\":[1,2]}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"a\":[1,2]}"), (JsonNode?)fromText));

        var (fromObject, _) = await RoundTrip(t, "doc", new { name = "x", list = new[] { 1, 2 } });
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"name\":\"x\",\"list\":[1,2]}"), (JsonNode?)fromObject));

        var (fromList, _) = await RoundTrip(t, "doc", new List<string> { "a", "b" });
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[\"a\",\"b\"]"), (JsonNode?)fromList));

        var (fromElement, _) = await RoundTrip(t, "doc", JsonDocument.Parse("{\"e\":[true]}").RootElement);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"e\":[true]}"), (JsonNode?)fromElement));

        var (plain, _) = await RoundTrip(t, "doc", "not json");
        Assert.Equal("not json", ((JsonNode?)plain)?.GetValue<string>());
    }

    [Fact]
    public async Task Null_and_empty_values_are_stored_as_null_for_non_text_columns()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "z"), ("name", ""), ("n", ""), ("score", null), ("flag", ""), ("doc", null)), Ct);
        Assert.Equal(Row(("id", "z"), ("name", "")), await t.Db.GetAsync(Items, Row(("id", "z")), Ct));
    }

    [Fact]
    public async Task A_row_of_every_type_round_trips_through_one_put()
    {
        await using var t = await Open();
        var doc = JsonNode.Parse("{\"k\":[1,{\"v\":\"😀\"}]}");
        await t.Db.PutAsync(Items, Row(("id", "all"), ("name", "ünï 😀"), ("n", -7), ("big", 1795970688797L), ("score", 0.1), ("flag", true), ("doc", doc), ("hits", 9)), Ct);
        var row = (await t.Db.GetAsync(Items, Row(("id", "all")), Ct))!;
        Assert.Equal("ünï 😀", row["name"]);
        Assert.Equal(-7L, row["n"]);
        Assert.Equal(1795970688797L, row["big"]);
        Assert.Equal(0.1, row["score"]);
        Assert.Equal(true, row["flag"]);
        Assert.True(JsonNode.DeepEquals(doc, (JsonNode?)row["doc"]));
        Assert.Equal(9L, row["hits"]);
    }

    [Fact]
    public async Task A_json_element_row_converts_like_a_dictionary_of_values()
    {
        await using var t = await Open();
        var element = JsonDocument.Parse("{\"id\":\"j\",\"name\":\"N\",\"n\":\"5\",\"big\":1795970688797,\"score\":\"1.5\",\"flag\":\"1\",\"doc\":{\"a\":1},\"bogus\":[]}").RootElement;
        await t.Db.PutAsync(Items, element, Ct);
        var row = (await t.Db.GetAsync(Items, Row(("id", "j")), Ct))!;
        Assert.Equal("N", row["name"]);
        Assert.Equal(5L, row["n"]);
        Assert.Equal(1795970688797L, row["big"]);
        Assert.Equal(1.5, row["score"]);
        Assert.Equal(true, row["flag"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"a\":1}"), (JsonNode?)row["doc"]));
    }

    [Fact]
    public async Task A_json_object_row_converts_like_a_dictionary_of_values()
    {
        await using var t = await Open();
        var obj = JsonNode.Parse("{\"id\":\"j\",\"name\":\"N\",\"n\":\"5\",\"score\":\"1.5\",\"flag\":\"1\"}")!.AsObject();
        await t.Db.PutAsync(Items, obj, Ct);
        var row = (await t.Db.GetAsync(Items, Row(("id", "j")), Ct))!;
        Assert.Equal(5L, row["n"]);
        Assert.Equal(1.5, row["score"]);
        Assert.Equal(true, row["flag"]);
    }

    [Fact]
    public async Task A_json_object_row_with_native_json_types_is_accepted()
    {
        await using var t = await Open();
        var obj = JsonNode.Parse("{\"id\":\"j\",\"name\":\"N\",\"n\":5,\"big\":1795970688797,\"score\":1.5,\"flag\":true,\"doc\":[1]}")!.AsObject();
        await t.Db.PutAsync(Items, obj, Ct);
        var row = (await t.Db.GetAsync(Items, Row(("id", "j")), Ct))!;
        Assert.Equal("N", row["name"]);
        Assert.Equal(5L, row["n"]);
        Assert.Equal(1795970688797L, row["big"]);
        Assert.Equal(1.5, row["score"]);
        Assert.Equal(true, row["flag"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[1]"), (JsonNode?)row["doc"]));
    }

    [Fact]
    public async Task A_dictionary_of_strings_row_is_converted()
    {
        await using var t = await Open();
        var form = new Dictionary<string, string> { ["id"] = "f", ["n"] = "12", ["big"] = "1795970688797", ["score"] = "0.5", ["flag"] = "false", ["doc"] = "[1,2]" };
        await t.Db.PutAsync(Items, form, Ct);
        var row = (await t.Db.GetAsync(Items, Row(("id", "f")), Ct))!;
        Assert.Equal(12L, row["n"]);
        Assert.Equal(1795970688797L, row["big"]);
        Assert.Equal(0.5, row["score"]);
        Assert.Equal(false, row["flag"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[1,2]"), (JsonNode?)row["doc"]));
    }
}
