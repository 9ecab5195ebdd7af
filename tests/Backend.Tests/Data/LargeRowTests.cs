using System.Text;
using System.Text.Json.Nodes;
using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>Large values (200 KB) round-trip through every path.</summary>
public sealed class LargeRowTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string BigText(int chars)
    {
        var sb = new StringBuilder(chars);
        var pieces = new[] { "abc ", "ünï ", "😀", "'\"\\;--", "\n", "0123456789" };
        for (var i = 0; sb.Length < chars; i++) sb.Append(pieces[i % pieces.Length]);
        return sb.ToString(0, chars - (char.IsHighSurrogate(sb[chars - 1]) ? 1 : 0));
    }

    [Fact]
    public async Task A_200_kb_text_value_round_trips()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("large"), All);
        var text = BigText(200 * 1024);
        await t.Db.PutAsync(Items, Row(("id", "big"), ("name", text), ("n", 1)), Ct);
        Assert.Equal(text, (await t.Db.GetAsync(Items, Row(("id", "big")), Ct))?["name"]);
        Assert.Equal(text, Assert.Single((await t.Db.SelectAsync(Items, null, new DbOptions { Count = 1 }, Ct)).Rows)["name"]);

        var updated = text[..^1] + "!";
        await t.Db.UpdateAsync(Items, Row(("id", "big"), ("name", updated)), Ct);
        Assert.Equal(updated, (await t.Db.GetAsync(Items, Row(("id", "big")), Ct))?["name"]);
        Assert.True(Encoding.UTF8.GetByteCount(text) > 200 * 1024);
    }

    [Fact]
    public async Task A_200_kb_json_value_round_trips()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("large"), All);
        var doc = new JsonObject();
        for (var i = 0; i % 100 != 0 || doc.ToJsonString().Length < 200 * 1024; i++)
            doc[$"key{i}"] = new JsonArray(i, $"value {i} 😀", new JsonObject { ["nested"] = i % 2 == 0 });
        Assert.InRange(doc.ToJsonString().Length, 200 * 1024, DbValues.DefaultMaxLength);
        await t.Db.PutAsync(Items, Row(("id", "big"), ("doc", doc)), Ct);
        Assert.True(JsonNode.DeepEquals(doc, (JsonNode?)(await t.Db.GetAsync(Items, Row(("id", "big")), Ct))?["doc"]));
    }

    [Fact]
    public async Task Many_large_rows_page_correctly()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("large"), All);
        var texts = Enumerable.Range(0, 10).Select(i => i + BigText(200 * 1024 - 1)).ToList();
        for (var i = 0; i < texts.Count; i++) await t.Db.PutAsync(Items, Row(("id", $"k{i}"), ("name", texts[i])), Ct);
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await t.Db.SelectAsync(Items, null, new DbOptions { Count = 3, Start = token }, Ct);
            seen.AddRange(page.Rows.Select(r => (string)r["name"]!));
            token = page.NextToken;
        }
        while (token != "");
        Assert.Equal(texts, seen);
    }
}
