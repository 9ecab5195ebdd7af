using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Which DynamoDB request a select becomes (table Query, index Query or Scan), and paging over each of them.</summary>
public sealed class DynamoDbSelectTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    private static async Task FillAsync(TestDb t)
    {
        for (var i = 0; i < 20; i++)
        {
            await t.Db.PutAsync(t.T("pairs"), Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i), ("v", i % 3 == 0 ? "p" : "q"), ("w", i % 4 == 0 ? null : i % 5), ("s", i % 7 / 2.0)), Ct);
            await t.Db.PutAsync(t.T("events"), Row(("id", $"e{i:00}"), ("account", i < 12 ? "acc1" : "acc2"), ("kind", $"k{i % 3}"), ("active", i % 2 == 0), ("n", i)), Ct);
            await t.Db.PutAsync(t.T("items"), Row(("id", $"i{i:00}"), ("name", $"n{i % 4}"), ("n", i), ("score", i % 6 / 2.0)), Ct);
        }
    }

    private static (long Table, long Index, long Scan) Counts(Backend.DynamoDb.DynamoDbDriver d) => (d.TableQueries, d.IndexQueries, d.Scans);

    private static async Task<(long Table, long Index, long Scan)> Delta(TestDb t, Func<Task> action)
    {
        var d = Driver(t);
        var before = Counts(d);
        await action();
        var after = Counts(d);
        return (after.Table - before.Table, after.Index - before.Index, after.Scan - before.Scan);
    }

    [Fact]
    public async Task An_equality_on_the_hash_key_queries_the_table()
    {
        await using var t = await OpenAsync();
        await FillAsync(t);
        var pairs = t.T("pairs");
        List<DbRow> rows = [];
        var d = await Delta(t, async () => rows = (await t.Db.SelectAsync(pairs, Row(("a", "x"), ("b", 10)), new DbOptions().Op("b", DbCompare.Ge), Ct)).Rows);
        Assert.Equal((1L, 0L, 0L), d);
        Assert.Equal([10L, 12, 14, 16, 18], rows.Select(r => (long)r["b"]!));
        // A Get-like select on a single-key table is a query too.
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("items"), Row(("id", "i03")), Ct)).Rows);
        Assert.Equal((1L, 0L, 0L), d);
        Assert.Single(rows);
    }

    [Fact]
    public async Task An_equality_on_an_index_hash_column_queries_the_index()
    {
        await using var t = await OpenAsync();
        await FillAsync(t);
        List<DbRow> rows = [];
        // (account, mtime): mtime is a now column, so every row is in the index.
        var d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("events"), Row(("account", "acc2")), Ct)).Rows);
        Assert.Equal((0L, 1L, 0L), d);
        Assert.Equal(["e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19"], rows.Select(r => (string)r["id"]!));
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("events"), Row(("kind", "k1"), ("n", 10)), new DbOptions { Desc = true }.Op("n", DbCompare.Lt), Ct)).Rows);
        Assert.Equal((0L, 1L, 0L), d);
        Assert.Equal(["e07", "e04", "e01"], rows.Select(r => (string)r["id"]!));
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("events"), Row(("active", true)), new DbOptions { Sort = "n", Desc = true, Count = 2 }, Ct)).Rows);
        Assert.Equal((0L, 1L, 0L), d);
        Assert.Equal(["e18", "e16"], rows.Select(r => (string)r["id"]!));
    }

    [Fact]
    public async Task An_index_whose_range_column_may_be_missing_is_used_only_when_a_condition_excludes_null()
    {
        await using var t = await OpenAsync();
        await FillAsync(t);
        var pairs = t.T("pairs");
        List<DbRow> rows = [];
        // v = p alone: rows with no w are not in the (v, w) index, so it scans (and finds them).
        var d = await Delta(t, async () => rows = (await t.Db.SelectAsync(pairs, Row(("v", "p")), Ct)).Rows);
        Assert.Equal((0L, 0L, 1L), d);
        Assert.Equal(7, rows.Count);
        Assert.Contains(rows, r => !r.ContainsKey("w"));
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(pairs, Row(("v", "p"), ("w", 1)), new DbOptions().Op("w", DbCompare.Ge), Ct)).Rows);
        Assert.Equal((0L, 1L, 0L), d);
        Assert.Equal([("x", 6L), ("x", 18L), ("y", 3L), ("y", 9L)], rows.Select(r => ((string)r["a"]!, (long)r["b"]!)));
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(pairs, Row(("v", "p"), ("w", 3)), new DbOptions().Op("w", DbCompare.Ne), Ct)).Rows);
        Assert.Equal((0L, 1L, 0L), d);
        Assert.Equal([("x", 6L), ("y", 9L), ("y", 15L)], rows.Select(r => ((string)r["a"]!, (long)r["b"]!)));
    }

    [Fact]
    public async Task Anything_else_scans()
    {
        await using var t = await OpenAsync();
        await FillAsync(t);
        List<DbRow> rows = [];
        var d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("items"), Row(("n", 15)), new DbOptions().Op("n", DbCompare.Gt), Ct)).Rows);
        Assert.Equal((0L, 0L, 1L), d);
        Assert.Equal(["i16", "i17", "i18", "i19"], rows.Select(r => (string)r["id"]!));
        d = await Delta(t, async () => rows = (await t.Db.SelectAsync(t.T("pairs"), Row(("b", 5)), Ct)).Rows);
        Assert.Equal((0L, 0L, 1L), d);
        Assert.Equal([("y", 5L)], rows.Select(r => ((string)r["a"]!, (long)r["b"]!)));
    }

    public static TheoryData<string, int, bool, string?> PagingCases()
    {
        var data = new TheoryData<string, int, bool, string?>();
        foreach (var source in new[] { "scan", "scan-filter", "hash", "hash-filter", "index", "index-filter" })
            foreach (var count in new[] { 1, 3, 7 })
                foreach (var desc in new[] { false, true })
                    foreach (var sort in new[] { null, "s" })
                        data.Add(source, count, desc, sort);
        return data;
    }

    [Theory]
    [MemberData(nameof(PagingCases))]
    public async Task Following_tokens_visits_every_matching_row_exactly_once_in_order(string source, int count, bool desc, string? sort)
    {
        await using var t = await OpenAsync(Pairs);
        var pairs = t.T("pairs");
        for (var i = 0; i < 20; i++)
            await t.Db.PutAsync(pairs, Row(("a", source.StartsWith("scan", StringComparison.Ordinal) ? $"h{i % 6}" : "x"), ("b", i), ("v", "p"), ("w", 20 - i), ("s", i % 7 / 2.0)), Ct);
        var query = source switch
        {
            "hash" or "hash-filter" => Row(("a", "x")),
            "index" or "index-filter" => Row(("v", "p"), ("w", 0)),
            _ => Row(),
        };
        var filter = source.EndsWith("-filter", StringComparison.Ordinal);
        if (filter) query["s"] = 1;
        DbOptions Options()
        {
            var o = new DbOptions { Count = count, Desc = desc, Sort = sort };
            if (query.ContainsKey("w")) o.Op("w", DbCompare.Gt);
            if (filter) o.Op("s", DbCompare.Ge);
            return o;
        }
        var pages = await AllPages(t.Db, pairs, query, Options);
        var seen = pages.SelectMany(p => p.Rows).ToList();
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Rows.Count));
        // Expected: the matching rows in SQL order (sort column, then the key).
        var expected = Enumerable.Range(0, 20).Where(i => !filter || i % 7 / 2.0 >= 1)
            .Select(i => (A: source.StartsWith("scan", StringComparison.Ordinal) ? $"h{i % 6}" : "x", B: (long)i, S: i % 7 / 2.0)).ToList();
        IEnumerable<(string A, long B, double S)> ordered = sort is null
            ? expected.OrderBy(x => x.A, StringComparer.Ordinal).ThenBy(x => x.B)
            : expected.OrderBy(x => x.S).ThenBy(x => x.A, StringComparer.Ordinal).ThenBy(x => x.B);
        if (desc) ordered = ordered.Reverse();
        Assert.Equal(ordered.Select(x => (x.A, x.B)), seen.Select(r => ((string)r["a"]!, (long)r["b"]!)));
        Assert.Equal("", pages[^1].NextToken);
    }

    [Fact]
    public async Task Paging_stays_exact_while_rows_are_added_and_deleted()
    {
        await using var t = await OpenAsync(Pairs);
        var pairs = t.T("pairs");
        for (var i = 0; i < 20; i += 2) await t.Db.PutAsync(pairs, Row(("a", "x"), ("b", i)), Ct);
        var seen = new List<long>();
        string? token = null;
        var step = 0;
        do
        {
            var page = await t.Db.SelectAsync(pairs, Row(("a", "x")), new DbOptions { Count = 3, Start = token }, Ct);
            seen.AddRange(page.Rows.Select(r => (long)r["b"]!));
            token = page.NextToken;
            // Rows added behind the cursor are not seen, rows added ahead are; the deleted last row does not break the token.
            await t.Db.PutAsync(pairs, Row(("a", "x"), ("b", 1 + (step * 2))), Ct);
            await t.Db.PutAsync(pairs, Row(("a", "x"), ("b", 100 + step)), Ct);
            if (page.Rows.Count > 0) await t.Db.DelAsync(pairs, page.Rows[^1], Ct);
            step++;
        }
        while (token != "");
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(seen.Order(), seen);
        Assert.Contains(100L, seen);
        Assert.DoesNotContain(seen, b => b % 2 == 1 && b < 100);
    }

    [Fact]
    public async Task A_bad_or_foreign_token_is_400()
    {
        await using var t = await OpenAsync(Pairs);
        var pairs = t.T("pairs");
        for (var i = 0; i < 4; i++) await t.Db.PutAsync(pairs, Row(("a", i < 2 ? "x" : "y"), ("b", i)), Ct);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.SelectAsync(pairs, Row(("a", "x")), new DbOptions { Count = 1, Start = "garbage!" }, Ct))).Status);
        var token = (await t.Db.SelectAsync(pairs, Row(("a", "y")), new DbOptions { Count = 1 }, Ct)).NextToken;
        Assert.NotEqual("", token);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.SelectAsync(pairs, Row(("a", "x")), new DbOptions { Count = 1, Start = token }, Ct))).Status);
    }

    [Fact]
    public async Task Count_zero_returns_nothing_and_no_token()
    {
        await using var t = await OpenAsync(Pairs);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        var r = await t.Db.SelectAsync(t.T("pairs"), null, new DbOptions { Count = 0 }, Ct);
        Assert.Empty(r.Rows);
        Assert.Equal("", r.NextToken);
    }
}
