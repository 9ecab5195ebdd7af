using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Keyset paging with NextToken: following tokens visits every matching row exactly once, in order, pages
/// are full except the last, and the last token is "".</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    /// <summary>Score of row i (ties on purpose).</summary>
    private static long ScoreOf(int i) => i * 7 % 5;

    /// <summary>Opens Scores with 20 rows: id 0..19, score (i*7)%5, ratio (i%3)/3, name n{(19-i)%10}, maybe null every 4th.</summary>
    private async Task<TestDb> OpenScores()
    {
        var t = await Target.OpenAsync(Scores);
        await PutAll(t.Db, t.T("scores"), Enumerable.Range(0, 20).Select(i =>
            Row(("id", i), ("score", ScoreOf(i)), ("ratio", i % 3 / 3.0), ("name", $"n{(19 - i) % 10}"), ("maybe", i % 4 == 0 ? null : i % 3))));
        return t;
    }

    private static List<long> Ids(IEnumerable<List<DbRow>> pages) => [.. pages.SelectMany(p => p).Select(r => (long)r["id"]!)];

    private static List<long> Expected(IEnumerable<int> ids, Func<int, object>? sortKey, bool desc)
    {
        var list = ids.ToList();
        IEnumerable<int> ordered = sortKey is null
            ? (desc ? list.OrderDescending() : list.Order())
            : (desc ? list.OrderByDescending(sortKey).ThenByDescending(i => i) : list.OrderBy(sortKey).ThenBy(i => i));
        return [.. ordered.Select(i => (long)i)];
    }

    /// <summary>Pages are full except the last; the last is not empty unless nothing matched.</summary>
    private static void AssertPageSizes(List<List<DbRow>> pages, int count, int total)
    {
        Assert.Equal(Math.Max(1, (total + count - 1) / count), pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Count));
        if (total > 0) Assert.NotEmpty(pages[^1]);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(7, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    public async Task Paging_visits_every_row_exactly_once(int count, bool desc)
    {
        if (desc) Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenScores();
        var pages = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Desc = desc });
        AssertPageSizes(pages, count, 20);
        AssertWholeTableOrder(Expected(Enumerable.Range(0, 20), null, desc), Ids(pages));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(7, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    public async Task Paging_with_a_sort_column_with_ties_visits_every_row_exactly_once_in_order(int count, bool desc)
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenScores();
        var pages = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Sort = "score", Desc = desc });
        AssertPageSizes(pages, count, 20);
        Assert.Equal(Expected(Enumerable.Range(0, 20), i => ScoreOf(i), desc), Ids(pages));
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(7, true)]
    public async Task Paging_on_text_and_real_sort_columns(int count, bool desc)
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenScores();
        var byName = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Sort = "name", Desc = desc });
        Assert.Equal(Expected(Enumerable.Range(0, 20), i => (19 - i) % 10, desc), Ids(byName));
        var byRatio = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Sort = "ratio", Desc = desc });
        Assert.Equal(Expected(Enumerable.Range(0, 20), i => i % 3, desc), Ids(byRatio));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Paging_on_a_sort_column_with_missing_values_visits_every_row_once(bool desc)
    {
        await using var t = await OpenScores();
        var pages = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = 3, Sort = "maybe", Desc = desc });
        var ids = Ids(pages);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), ids.Order());
        if (!OrdersWholeTableSelects) return;
        // Missing values sort first ascending and last descending; the key breaks ties.
        Assert.Equal(Expected(Enumerable.Range(0, 20), i => i % 4 == 0 ? -1 : i % 3, desc), ids);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Paging_with_a_condition_visits_only_the_matching_rows_once(int count)
    {
        await using var t = await OpenScores();
        var pages = await AllPages(t.Db, t.T("scores"), Row(("score", 2)), () => new DbOptions { Count = count }.Op("score", DbCompare.Ge));
        var matching = Enumerable.Range(0, 20).Where(i => ScoreOf(i) >= 2).ToList();
        AssertPageSizes(pages, count, matching.Count);
        AssertWholeTableOrder(Expected(matching, null, false), Ids(pages));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Paging_with_a_condition_sort_and_select_returns_only_the_selected_columns(int count)
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenScores();
        var pages = await AllPages(t.Db, t.T("scores"), Row(("score", 2)),
            () => new DbOptions { Count = count, Sort = "name", Select = ["id"] }.Op("score", DbCompare.Ge));
        var rows = pages.SelectMany(p => p).ToList();
        Assert.All(rows, r => Assert.Equal(["id"], r.Keys));
        var matching = Enumerable.Range(0, 20).Where(i => ScoreOf(i) >= 2);
        Assert.Equal(Expected(matching, i => (19 - i) % 10, false), Ids(pages));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(7, false)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    public async Task Paging_within_one_hash_key_follows_the_range_key(int count, bool desc)
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(0, 30).Select(i => Row(("a", i % 3 == 0 ? "y" : "x"), ("b", i), ("v", $"v{i}"))));
        var pages = await AllPages(t.Db, t.T("pairs"), Row(("a", "x")), () => new DbOptions { Count = count, Desc = desc });
        var xs = Enumerable.Range(0, 30).Where(i => i % 3 != 0).ToList();
        AssertPageSizes(pages, count, xs.Count);
        Assert.All(pages.SelectMany(p => p), r => Assert.Equal("x", r["a"]));
        Assert.Equal(Expected(xs, null, desc), pages.SelectMany(p => p).Select(r => (long)r["b"]!));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Paging_over_a_whole_composite_key_table_visits_every_row_once(int count)
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(0, 20).Select(i => Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i / 2), ("v", $"v{i % 3}"))));
        var pages = await AllPages(t.Db, t.T("pairs"), null, () => new DbOptions { Count = count });
        AssertPageSizes(pages, count, 20);
        var keys = pages.SelectMany(p => p).Select(r => $"{r["a"]}{r["b"]:00}").ToList();
        var expected = Enumerable.Range(0, 20).Select(i => $"{(i % 2 == 0 ? "x" : "y")}{i / 2:00}").Order(StringComparer.Ordinal);
        AssertWholeTableOrder(expected, keys);
    }

    [Fact]
    public async Task Rows_added_between_pages_are_not_repeated_or_skipped()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await Target.OpenAsync(Scores);
        var table = t.T("scores");
        await PutAll(t.Db, table, Enumerable.Range(0, 10).Select(i => Row(("id", i * 2))));
        var first = await t.Db.SelectAsync(table, null, new DbOptions { Count = 3 }, Ct);
        var seen = first.Rows.Select(r => (long)r["id"]!).ToList(); // 0, 2, 4
        await t.Db.PutAsync(table, Row(("id", 1)), Ct);  // behind the cursor
        await t.Db.PutAsync(table, Row(("id", 11)), Ct); // ahead of it
        await t.Db.DelAsync(table, Row(("id", 14)), Ct); // deleted ahead of it
        var token = first.NextToken;
        while (token.Length > 0)
        {
            var page = await t.Db.SelectAsync(table, null, new DbOptions { Count = 3, Start = token }, Ct);
            seen.AddRange(page.Rows.Select(r => (long)r["id"]!));
            token = page.NextToken;
        }
        Assert.Equal([0L, 2, 4, 6, 8, 10, 11, 12, 16, 18], seen);
    }

    [Fact]
    public async Task A_page_ending_exactly_at_the_last_row_has_an_empty_token()
    {
        await using var t = await OpenScores();
        var result = await t.Db.SelectAsync(t.T("scores"), Row(("id", 17)), new DbOptions { Count = 3 }.Op("id", DbCompare.Ge), Ct);
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal("", result.NextToken);
        var exact = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = 5 });
        Assert.Equal([5, 5, 5, 5], exact.Select(p => p.Count));
    }

    [Fact]
    public async Task A_token_is_url_safe_text()
    {
        await using var t = await Target.OpenAsync(Plain);
        await PutAll(t.Db, t.T("plain"), new[] { "a/b", "a+b", "ü 😀", "a'b\"c", "x=y&z" }.Select(id => Row(("id", id))));
        var pages = await AllPages(t.Db, t.T("plain"), null, () => new DbOptions { Count = 1 });
        Assert.Equal(5, pages.SelectMany(p => p).Select(r => r["id"]).Distinct().Count());
        var first = await t.Db.SelectAsync(t.T("plain"), null, new DbOptions { Count = 1 }, Ct);
        Assert.Matches("^[A-Za-z0-9_.~-]+$", first.NextToken);
    }

    [Fact]
    public async Task Paging_with_count_larger_than_the_rows_gives_one_page()
    {
        await using var t = await OpenScores();
        var result = await t.Db.SelectAsync(t.T("scores"), null, new DbOptions { Count = 25 }, Ct);
        Assert.Equal(20, result.Rows.Count);
        Assert.Equal("", result.NextToken);
    }
}
