using System.Text;
using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>One database with 20 rows (ids 0..19, score = (i*7) % 5 with ties, name with gaps) plus 20 composite-key rows,
/// shared read-only by <see cref="PagingTests"/>.</summary>
public sealed class PagingFixture : IAsyncLifetime
{
    public const string Scores = "scores";

    private TestDatabase? _database;

    public TempDirectory Dir { get; } = new();

    internal TestDatabase Database => _database!;

    public static void Describe(TableRegistry tables)
    {
        All(tables);
        tables.Add(Scores, t => t
            .Column("id", ColumnType.Int, primary: true)
            .Column("score", ColumnType.Int)
            .Column("ratio", ColumnType.Real)
            .Column("name")
            .Column("maybe", ColumnType.Int));
    }

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.OpenAsync(Dir.NewFile("paging"), Describe);
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 20; i++)
        {
            await _database.Db.PutAsync(Scores, Row(("id", i), ("score", i * 7 % 5), ("ratio", i % 3 / 3.0), ("name", $"n{(19 - i) % 10}"), ("maybe", i % 4 == 0 ? null : i % 3)), ct);
            await _database.Db.PutAsync(Pairs, Row(("a", i % 2 == 0 ? "x" : "y"), ("b", i / 2), ("v", $"v{i % 3}")), ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>Keyset paging with NextToken: every row exactly once, in order, ending with an empty token.</summary>
public sealed class PagingTests(PagingFixture fixture) : IClassFixture<PagingFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Db Db => fixture.Database.Db;

    /// <summary>Follows tokens until the empty one; returns every page.</summary>
    private static async Task<List<List<DbRow>>> AllPages(Db db, string table, DbRow? query, Func<DbOptions> options)
    {
        var pages = new List<List<DbRow>>();
        string? token = null;
        do
        {
            var o = options();
            o.Start = token;
            var result = await db.SelectAsync(table, query, o, Ct);
            pages.Add(result.Rows);
            token = result.NextToken;
            Assert.True(pages.Count <= 100, "paging does not end");
        }
        while (token != "");
        return pages;
    }

    private static IEnumerable<long> Expected(int[] ids, string? sort, bool desc, Func<int, long> sortKey)
    {
        IEnumerable<int> ordered = sort is null ? ids.Order() : ids.OrderBy(sortKey).ThenBy(i => i);
        if (desc) ordered = sort is null ? ids.OrderDescending() : ids.OrderByDescending(sortKey).ThenByDescending(i => i);
        return ordered.Select(i => (long)i);
    }

    [Theory]
    [InlineData(1, null, false)]
    [InlineData(2, null, false)]
    [InlineData(3, null, false)]
    [InlineData(7, null, false)]
    [InlineData(1, null, true)]
    [InlineData(2, null, true)]
    [InlineData(3, null, true)]
    [InlineData(7, null, true)]
    [InlineData(1, "score", false)]
    [InlineData(2, "score", false)]
    [InlineData(3, "score", false)]
    [InlineData(7, "score", false)]
    [InlineData(1, "score", true)]
    [InlineData(2, "score", true)]
    [InlineData(3, "score", true)]
    [InlineData(7, "score", true)]
    [InlineData(20, "score", true)]
    [InlineData(25, null, false)]
    public async Task Following_tokens_visits_every_row_exactly_once_in_order(int count, string? sort, bool desc)
    {
        var pages = await AllPages(Db, PagingFixture.Scores, null, () => new DbOptions { Count = count, Sort = sort, Desc = desc });

        Assert.Equal((20 + count - 1) / count, pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Count));
        Assert.NotEmpty(pages[^1]);
        var ids = pages.SelectMany(p => p).Select(r => (long)r["id"]!).ToList();
        Assert.Equal(Expected([.. Enumerable.Range(0, 20)], sort, desc, i => i * 7 % 5), ids);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    public async Task Paging_works_on_a_text_sort_column_and_a_real_sort_column(int count, bool desc)
    {
        var byName = (await AllPages(Db, PagingFixture.Scores, null, () => new DbOptions { Count = count, Sort = "name", Desc = desc }))
            .SelectMany(p => p).Select(r => (long)r["id"]!);
        Assert.Equal(Expected([.. Enumerable.Range(0, 20)], "name", desc, i => (19 - i) % 10), byName);

        var byRatio = (await AllPages(Db, PagingFixture.Scores, null, () => new DbOptions { Count = count, Sort = "ratio", Desc = desc }))
            .SelectMany(p => p).Select(r => (long)r["id"]!);
        Assert.Equal(Expected([.. Enumerable.Range(0, 20)], "ratio", desc, i => i % 3), byRatio);
    }

    [Theory]
    [InlineData(1, null, false)]
    [InlineData(3, null, false)]
    [InlineData(3, null, true)]
    [InlineData(7, "v", false)]
    [InlineData(2, "v", true)]
    public async Task Paging_over_a_composite_key_visits_every_row_once(int count, string? sort, bool desc)
    {
        var pages = await AllPages(Db, Pairs, null, () => new DbOptions { Count = count, Sort = sort, Desc = desc });
        var keys = pages.SelectMany(p => p).Select(r => ((string)r["a"]!, (long)r["b"]!, (string)r["v"]!)).ToList();
        var all = Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? "x" : "y", (long)(i / 2), $"v{i % 3}")).ToList();
        IEnumerable<(string A, long B, string V)> expected = sort is null
            ? all.OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2)
            : all.OrderBy(k => k.Item3, StringComparer.Ordinal).ThenBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2);
        if (desc) expected = expected.Reverse();
        Assert.Equal(expected, keys);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Paging_with_conditions_and_select_visits_only_matching_rows(int count)
    {
        var pages = await AllPages(Db, PagingFixture.Scores, Row(("score", 2)),
            () => new DbOptions { Count = count, Sort = "name", Select = ["id"] }.Op("score", DbCompare.Ge));
        var rows = pages.SelectMany(p => p).ToList();
        Assert.All(rows, r => Assert.Equal(["id"], r.Keys));
        var matching = Enumerable.Range(0, 20).Where(i => i * 7 % 5 >= 2).ToArray();
        Assert.Equal(Expected(matching, "name", false, i => (19 - i) % 10), rows.Select(r => (long)r["id"]!));
    }

    [Fact]
    public async Task Paging_on_a_sort_column_with_nulls_visits_every_row_once()
    {
        foreach (var desc in new[] { false, true })
        {
            var ids = (await AllPages(Db, PagingFixture.Scores, null, () => new DbOptions { Count = 3, Sort = "maybe", Desc = desc }))
                .SelectMany(p => p).Select(r => (long)r["id"]!).ToList();
            Assert.Equal(20, ids.Count);
            Assert.Equal(20, ids.Distinct().Count());
        }
    }

    [Fact]
    public async Task Rows_added_between_pages_do_not_cause_repeats_or_skips()
    {
        await using var t = await TestDatabase.OpenAsync(fixture.Dir.NewFile("live"), PagingFixture.Describe);
        for (var i = 0; i < 20; i += 2) await t.Db.PutAsync(PagingFixture.Scores, Row(("id", i)), Ct);

        var seen = new List<long>();
        var first = await t.Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 3 }, Ct);
        seen.AddRange(first.Rows.Select(r => (long)r["id"]!)); // 0, 2, 4
        await t.Db.PutAsync(PagingFixture.Scores, Row(("id", 1)), Ct);  // behind the cursor
        await t.Db.PutAsync(PagingFixture.Scores, Row(("id", 11)), Ct); // ahead of it
        var token = first.NextToken;
        while (token != "")
        {
            var page = await t.Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 3, Start = token }, Ct);
            seen.AddRange(page.Rows.Select(r => (long)r["id"]!));
            token = page.NextToken;
        }
        Assert.Equal([0L, 2, 4, 6, 8, 10, 11, 12, 14, 16, 18], seen);
    }

    [Fact]
    public async Task A_token_is_opaque_text_and_an_exact_page_end_gives_an_empty_token()
    {
        var result = await Db.SelectAsync(PagingFixture.Scores, Row(("id", 17)), new DbOptions { Count = 3 }.Op("id", DbCompare.Ge), Ct);
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal("", result.NextToken);

        var more = await Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 3 }, Ct);
        Assert.Matches("^[A-Za-z0-9_-]+$", more.NextToken);
    }

    [Theory]
    [InlineData("garbage!")]
    [InlineData("abc")]
    [InlineData("e30")]
    [InlineData("W10")]
    [InlineData("WyJ4Il0")] // ["x"] for an integer key
    [InlineData("WzEsMl0")] // [1,2] for a one-column order
    public async Task A_malformed_token_is_a_400(string token)
    {
        var ex = await Assert.ThrowsAsync<DbException>(() => Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 2, Start = token }, Ct));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task A_token_from_another_ordering_is_a_400()
    {
        var sorted = await Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 2, Sort = "score" }, Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => Db.SelectAsync(PagingFixture.Scores, null, new DbOptions { Count = 2, Start = sorted.NextToken }, Ct));
        Assert.Equal(400, ex.Status);
        Assert.Equal("[0,5]", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(sorted.NextToken)));
    }
}
