using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Every logical type goes in and comes back as the same value of the same CLR type (string, long, double,
/// bool, JsonNode), through Get, Select and List.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    /// <summary>Writes each value into the column of its own row, then reads every row back through Get, one
    /// Select and one List, and reports every value that did not come back as <c>expected</c>.</summary>
    private async Task RoundTripAll(string column, IReadOnlyList<(object? Value, object? Expected)> cases)
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var ids = cases.Select((_, i) => $"v{i:000}").ToList();
        await PutAll(t.Db, table, cases.Select((c, i) => Row(("id", ids[i]), (column, c.Value))));

        var selected = (await t.Db.SelectAsync(table, null, Ct)).Rows.ToDictionary(r => (string)r["id"]!);
        var listed = (await t.Db.ListAsync(table, ids.Select(id => (object)Row(("id", id))), Ct)).Rows.ToDictionary(r => (string)r["id"]!);
        var mismatches = new List<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var (value, expected) = cases[i];
            var got = await t.Db.GetAsync(table, Row(("id", ids[i])), Ct);
            foreach (var (via, row) in new[] { ("get", got), ("select", selected.GetValueOrDefault(ids[i])), ("list", listed.GetValueOrDefault(ids[i])) })
            {
                if (row is null)
                {
                    mismatches.Add($"{via}: row for {Show(value)} is missing");
                    continue;
                }
                var actual = row.GetValueOrDefault(column);
                if (!Same(expected, actual) || (expected is null && row.ContainsKey(column)))
                    mismatches.Add($"{via}: {Show(value)} came back as {Show(actual)}, expected {Show(expected)}");
            }
        }
        AssertNone(mismatches);
    }

    /// <summary>A text of the given length mixing ASCII, accented letters, emoji, quotes and SQL punctuation.</summary>
    protected static string BigText(int chars)
    {
        var sb = new StringBuilder(chars);
        var pieces = new[] { "abc ", "ünï ", "😀", "'\"\\;--", "\n", "0123456789" };
        for (var i = 0; sb.Length < chars; i++) sb.Append(pieces[i % pieces.Length]);
        return sb.ToString(0, chars - (char.IsHighSurrogate(sb[chars - 1]) ? 1 : 0));
    }

    /// <summary>Texts that must come back byte for byte.</summary>
    protected static IReadOnlyList<string> Texts =>
    [
        "plain",
        "",
        " leading and trailing spaces ",
        "héllo wörld ünïcödé ñ ß",
        "日本語のテキスト 中文 한국어",
        "emoji 😀🎉👍🏽 family 👨‍👩‍👧‍👦 flag 🇺🇦",
        "it's \"quoted\" `backticked`",
        "back\\slash \\\\ double \\n not-a-newline",
        "'; drop table x; --",
        "\" OR 1=1; /* comment */ -- ; DELETE FROM items",
        "100% _under_score [brackets] {braces} (parens) $1 ?1 @p0 :name ${x} #{y}",
        "line1\nline2\r\nline3\ttab",
        "\u0001\u001f control chars \u007f",
        "surrogates 𝄞 𐐷",
        "0123",
        "1e5",
        "true",
        "null",
        "[1,2]",
        "{\"a\":1}",
        BigText(10 * 1024),
    ];

    [Fact]
    public Task Text_round_trips_exactly() =>
        RoundTripAll("name", [.. Texts.Select(s => ((object?)s, (object?)s))]);

    [Fact]
    public async Task Text_keys_are_exact_and_case_sensitive()
    {
        await using var t = await Target.OpenAsync(Plain);
        string[] keys = ["007", "7", "7.0", "😀", "a'b", "A", "a", "a ", "ä", "x;--", "with space", "back\\slash"];
        foreach (var key in keys) await t.Db.AddAsync(t.T("plain"), Row(("id", key), ("name", key)), Ct);
        foreach (var key in keys) Assert.Equal(key, (await t.Db.GetAsync(t.T("plain"), Row(("id", key)), Ct))?["name"]);
        Assert.Equal(keys.Order(StringComparer.Ordinal), (await t.Db.SelectAsync(t.T("plain"), null, Ct)).Rows.Select(r => (string)r["id"]!).Order(StringComparer.Ordinal));
        await t.Db.PutAsync(t.T("plain"), Row(("id", 42), ("name", "number")), Ct);
        Assert.Equal("number", (await t.Db.GetAsync(t.T("plain"), Row(("id", "42")), Ct))?["name"]);
        Assert.Equal("42", (await t.Db.GetAsync(t.T("plain"), Row(("id", 42L)), Ct))?["id"]);
    }

    [Fact]
    public Task Int_round_trips_as_long() => RoundTripAll("n",
    [
        (0, 0L), (1, 1L), (-1, -1L), (int.MaxValue, (long)int.MaxValue), (int.MinValue, (long)int.MinValue),
        ("42", 42L), (" -42", -42L), (42.0, 42L), ("42.0", 42L), ((short)7, 7L), (7u, 7L), (7m, 7L),
    ]);

    [Fact]
    public Task BigInt_round_trips_millisecond_timestamps_and_extremes() => RoundTripAll("big",
    [
        (1795970688797L, 1795970688797L), ("1795970688797", 1795970688797L), (1795970688797.0, 1795970688797L),
        (-1795970688797L, -1795970688797L), (long.MaxValue, long.MaxValue), ("9223372036854775807", long.MaxValue),
        (long.MinValue, long.MinValue), (long.MaxValue - 1, long.MaxValue - 1), (9007199254740993L, 9007199254740993L), (0L, 0L),
    ]);

    [Fact]
    public Task Counter_round_trips_as_long() => RoundTripAll("hits",
        [(0, 0L), (123L, 123L), (-5, -5L), ("77", 77L), (long.MaxValue, long.MaxValue)]);

    [Fact]
    public async Task An_int_beyond_32_bits_is_stored_exactly_or_rejected_with_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        try
        {
            await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("n", 1L << 40)), Ct);
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
            return;
        }
        Assert.Equal(1L << 40, (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["n"]);
    }

    [Fact]
    public Task Real_round_trips_exactly_as_double() => RoundTripAll("score",
    [
        (0.1, 0.1), (0.1 + 0.2, 0.1 + 0.2), (-2.5, -2.5), (1.0 / 3.0, 1.0 / 3.0), (1e125, 1e125), (-1e125, -1e125),
        (-1e-125, -1e-125), (3.0, 3.0), (0.0, 0.0),
        (7L, 7.0), ("2.75", 2.75), ("-1e10", -1e10), (1.5f, 1.5), (123456789.123456789, 123456789.123456789),
    ]);

    [Fact]
    public async Task Real_at_the_ends_of_the_double_range_round_trips_or_is_refused()
    {
        double[] extremes = [1e300, -1e300, -1e-300, double.MaxValue, double.MinValue];
        if (HasFullDoubleRange)
        {
            await RoundTripAll("score", [.. extremes.Select(d => ((object?)d, (object?)d))]);
            return;
        }
        await using var t = await Target.OpenAsync(Plain);
        foreach (var d in extremes)
        {
            var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("plain"), Row(("id", "x"), ("score", d)), Ct));
            Assert.Equal(400, ex.Status);
            Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "x")), Ct));
        }
    }

    [Fact]
    public Task Bool_stays_bool() => RoundTripAll("flag",
    [
        (true, true), (false, false), ("1", true), ("0", false), ("true", true), ("false", false), ("TRUE", true),
        ("yes", true), ("off", false), (1, true), (0L, false),
    ]);

    /// <summary>JSON documents that must come back deep-equal.</summary>
    protected static IReadOnlyList<string> JsonTexts =>
    [
        "{\"a\":1,\"b\":\"two\",\"c\":[1,2,{\"d\":null}],\"e\":true,\"f\":1.5,\"g\":{}}",
        "[1,\"two\",3.25,true,false,null,[],{\"x\":[{\"y\":\"z\"}]}]",
        "{\"text\":\"héllo 😀 'q' \\\"dq\\\" \\\\ </script> -- ;\",\"big\":9223372036854775807,\"neg\":-1e-300}",
        "{\"deep\":{\"deeper\":{\"deepest\":[[[\"x\"]]]}}}",
        "[]",
        "{}",
        "\"just a string\"",
        "42",
        "true",
    ];

    [Fact]
    public Task Json_round_trips_deep_equal() =>
        RoundTripAll("doc", [.. JsonTexts.Select(j => ((object?)j, (object?)JsonNode.Parse(j)))]);

    [Fact]
    public Task Json_accepts_nodes_objects_lists_elements_and_plain_text() => RoundTripAll("doc",
    [
        (JsonNode.Parse("{\"n\":{\"m\":[1]}}"), JsonNode.Parse("{\"n\":{\"m\":[1]}}")),
        (new { name = "x", list = new[] { 1, 2 } }, JsonNode.Parse("{\"name\":\"x\",\"list\":[1,2]}")),
        (new List<string> { "a", "b" }, JsonNode.Parse("[\"a\",\"b\"]")),
        (new Dictionary<string, int> { ["k"] = 1 }, JsonNode.Parse("{\"k\":1}")),
        (JsonDocument.Parse("{\"e\":[true]}").RootElement, JsonNode.Parse("{\"e\":[true]}")),
        ("not json", JsonValue.Create("not json")),
    ]);

    [Fact]
    public async Task Json_null_is_no_value()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "text"), ("doc", "null")), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "node"), ("doc", JsonValue.Create((string?)null))), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "element"), ("doc", JsonDocument.Parse("null").RootElement)), Ct);
        var mismatches = new List<string>();
        foreach (var id in new[] { "text", "node", "element" })
        {
            var row = await t.Db.GetAsync(t.T("plain"), Row(("id", id)), Ct);
            if (row is null || row.ContainsKey("doc")) mismatches.Add($"{id}: doc is {Show(row?.GetValueOrDefault("doc"))}");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task Json_values_come_back_as_json_nodes_of_the_right_kind()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "o"), ("doc", "{\"a\":[1]}")), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "l"), ("doc", "[1]")), Ct);
        Assert.IsType<JsonObject>((await t.Db.GetAsync(t.T("plain"), Row(("id", "o")), Ct))?["doc"]);
        Assert.IsType<JsonArray>((await t.Db.GetAsync(t.T("plain"), Row(("id", "l")), Ct))?["doc"]);
    }

    [Fact]
    public async Task Null_and_missing_columns_are_absent()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "z"), ("name", ""), ("n", ""), ("big", null), ("score", null), ("flag", ""), ("doc", null), ("hits", null)), Ct);
        await t.Db.PutAsync(table, Row(("id", "m")), Ct);
        Assert.Equal(Row(("id", "z"), ("name", "")), await t.Db.GetAsync(table, Row(("id", "z")), Ct));
        Assert.Equal(Row(("id", "m")), await t.Db.GetAsync(table, Row(("id", "m")), Ct));
        var rows = (await t.Db.SelectAsync(table, null, Ct)).Rows.OrderBy(r => (string)r["id"]!, StringComparer.Ordinal).ToList();
        Assert.Equal([Row(("id", "m")), Row(("id", "z"), ("name", ""))], rows);
    }

    [Fact]
    public async Task A_row_of_every_type_round_trips_through_put_select_and_list()
    {
        await using var t = await Target.OpenAsync(Plain);
        var doc = JsonNode.Parse("{\"k\":[1,{\"v\":\"😀\"}]}");
        var expected = Row(("id", "all"), ("name", "ünï 😀"), ("n", -7L), ("big", 1795970688797L), ("score", 0.1), ("flag", true), ("doc", doc), ("hits", 9L), ("views", 0L));
        await t.Db.PutAsync(t.T("plain"), Row(("id", "all"), ("name", "ünï 😀"), ("n", -7), ("big", 1795970688797L), ("score", 0.1), ("flag", true), ("doc", doc), ("hits", 9), ("views", 0)), Ct);
        var reads = new[]
        {
            ("get", await t.Db.GetAsync(t.T("plain"), Row(("id", "all")), Ct)),
            ("select", Assert.Single((await t.Db.SelectAsync(t.T("plain"), Row(("id", "all")), Ct)).Rows)),
            ("list", Assert.Single((await t.Db.ListAsync(t.T("plain"), [Row(("id", "all"))], Ct)).Rows)),
        };
        var mismatches = new List<string>();
        foreach (var (via, row) in reads)
        {
            Assert.NotNull(row);
            if (!row.Keys.Order().SequenceEqual(expected.Keys.Order())) mismatches.Add($"{via}: columns {string.Join(",", row.Keys.Order())}");
            foreach (var (k, v) in expected)
                if (!Same(v, row.GetValueOrDefault(k))) mismatches.Add($"{via}: {k} = {Show(row.GetValueOrDefault(k))}, expected {Show(v)}");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task Rows_given_as_json_elements_json_objects_and_string_dictionaries_are_converted()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, JsonDocument.Parse("{\"id\":\"e\",\"name\":\"N\",\"n\":\"5\",\"big\":1795970688797,\"score\":\"1.5\",\"flag\":\"1\",\"doc\":{\"a\":1},\"bogus\":[]}").RootElement, Ct);
        await t.Db.PutAsync(table, JsonNode.Parse("{\"id\":\"o\",\"name\":\"N\",\"n\":5,\"big\":1795970688797,\"score\":1.5,\"flag\":true,\"doc\":{\"a\":1}}")!.AsObject(), Ct);
        await t.Db.PutAsync(table, new Dictionary<string, string> { ["id"] = "f", ["name"] = "N", ["n"] = "5", ["big"] = "1795970688797", ["score"] = "1.5", ["flag"] = "true", ["doc"] = "{\"a\":1}" }, null, Ct);
        var mismatches = new List<string>();
        foreach (var id in new[] { "e", "o", "f" })
        {
            var row = (await t.Db.GetAsync(table, Row(("id", id)), Ct))!;
            foreach (var (k, v) in new (string, object)[] { ("name", "N"), ("n", 5L), ("big", 1795970688797L), ("score", 1.5), ("flag", true), ("doc", JsonNode.Parse("{\"a\":1}")!) })
                if (!Same(v, row.GetValueOrDefault(k))) mismatches.Add($"{id}: {k} = {Show(row.GetValueOrDefault(k))}");
            if (row.ContainsKey("bogus")) mismatches.Add($"{id}: unknown column stored");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task A_nul_character_round_trips_or_is_rejected_with_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        const string text = "before\u0000after";
        try
        {
            await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", text)), Ct);
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
            return;
        }
        Assert.Equal(text, (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task A_200_kb_text_row_round_trips_through_get_select_update_and_list()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var text = BigText(200 * 1024);
        Assert.True(Encoding.UTF8.GetByteCount(text) > 200 * 1024);
        await t.Db.PutAsync(table, Row(("id", "big"), ("name", text), ("n", 1)), Ct);
        Assert.Equal(text, (await t.Db.GetAsync(table, Row(("id", "big")), Ct))?["name"]);
        Assert.Equal(text, Assert.Single((await t.Db.SelectAsync(table, null, new DbOptions { Count = 1 }, Ct)).Rows)["name"]);
        var updated = text[..^1] + "!";
        await t.Db.UpdateAsync(table, Row(("id", "big"), ("name", updated)), Ct);
        Assert.Equal(updated, Assert.Single((await t.Db.ListAsync(table, [Row(("id", "big"))], Ct)).Rows)["name"]);
    }

    [Fact]
    public async Task A_200_kb_json_value_round_trips()
    {
        await using var t = await Target.OpenAsync(Plain);
        var doc = new JsonObject();
        for (var i = 0; i % 100 != 0 || doc.ToJsonString().Length < 200 * 1024; i++)
            doc[$"key{i}"] = new JsonArray(i, $"value {i} 😀", new JsonObject { ["nested"] = i % 2 == 0 });
        Assert.InRange(doc.ToJsonString().Length, 200 * 1024, DbValues.DefaultMaxLength);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "big"), ("doc", doc)), Ct);
        Assert.True(JsonNode.DeepEquals(doc, (JsonNode?)(await t.Db.GetAsync(t.T("plain"), Row(("id", "big")), Ct))?["doc"]));
    }

    [Fact]
    public async Task Several_large_rows_page_correctly()
    {
        await using var t = await Target.OpenAsync(Plain);
        var texts = Enumerable.Range(0, 6).Select(i => i.ToString(CultureInfo.InvariantCulture) + BigText(200 * 1024 - 1)).ToList();
        for (var i = 0; i < texts.Count; i++) await t.Db.PutAsync(t.T("plain"), Row(("id", $"k{i}"), ("name", texts[i])), Ct);
        var pages = await AllPages(t.Db, t.T("plain"), null, () => new DbOptions { Count = 2 });
        Assert.All(pages, p => Assert.InRange(p.Count, 0, 2));
        var seen = pages.SelectMany(p => p).ToDictionary(r => (string)r["id"]!, r => (string)r["name"]!);
        Assert.Equal(texts.Count, seen.Count);
        for (var i = 0; i < texts.Count; i++) Assert.True(texts[i] == seen[$"k{i}"], $"k{i} differs");
    }
}
