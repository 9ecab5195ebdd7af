using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Scan streams a whole table (or the rows matching a query) page by page.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    private async Task<TestDb> OpenRows(int count)
    {
        var t = await Target.OpenAsync(Scores);
        await PutAll(t.Db, t.T("scores"), Enumerable.Range(0, count).Select(i => Row(("id", i), ("score", i % 10), ("name", $"n{i % 7}"))));
        return t;
    }

    private static async Task<List<long>> ScanIds(TestDb t, object? query, DbOptions? options)
    {
        var ids = new List<long>();
        await foreach (var row in t.Db.ScanAsync(t.T("scores"), query, options, Ct)) ids.Add((long)row["id"]!);
        return ids;
    }

    [Fact]
    public async Task Scan_streams_every_row_of_250_rows_exactly_once()
    {
        await using var t = await OpenRows(250);
        var byPagesOf7 = await ScanIds(t, null, new DbOptions { Count = 7 });
        AssertWholeTableOrder(Enumerable.Range(0, 250).Select(i => (long)i), byPagesOf7);
        var byDefaultPages = await ScanIds(t, null, null);
        AssertWholeTableOrder(Enumerable.Range(0, 250).Select(i => (long)i), byDefaultPages);
    }

    [Fact]
    public async Task Scan_with_a_condition_streams_only_the_matching_rows()
    {
        await using var t = await OpenRows(50);
        var ids = await ScanIds(t, Row(("score", 7)), new DbOptions { Count = 2 }.Op("score", DbCompare.Ge));
        AssertWholeTableOrder(Enumerable.Range(0, 50).Where(i => i % 10 >= 7).Select(i => (long)i), ids);
        var byName = await ScanIds(t, Row(("name", "n3")), new DbOptions { Count = 3 });
        AssertWholeTableOrder(Enumerable.Range(0, 50).Where(i => i % 7 == 3).Select(i => (long)i), byName);
    }

    [Fact]
    public async Task Scan_follows_desc_and_sort()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenRows(40);
        Assert.Equal(Enumerable.Range(0, 40).Reverse().Select(i => (long)i), await ScanIds(t, null, new DbOptions { Count = 6, Desc = true }));
        var sorted = Enumerable.Range(0, 40).OrderBy(i => i % 10).ThenBy(i => i).Select(i => (long)i);
        Assert.Equal(sorted, await ScanIds(t, null, new DbOptions { Count = 9, Sort = "score" }));
    }

    [Fact]
    public async Task Scan_returns_only_the_selected_columns()
    {
        await using var t = await OpenRows(20);
        var rows = new List<DbRow>();
        await foreach (var row in t.Db.ScanAsync(t.T("scores"), null, new DbOptions { Count = 6, Select = ["name"] }, Ct)) rows.Add(row);
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.Equal(["name"], r.Keys));
    }

    [Fact]
    public async Task Scan_of_an_empty_table_yields_nothing()
    {
        await using var t = await Target.OpenAsync(Scores);
        Assert.Empty(await ScanIds(t, null, new DbOptions { Count = 7 }));
        Assert.Empty(await ScanIds(t, null, null));
    }

    [Fact]
    public async Task Scan_can_start_from_a_token()
    {
        await using var t = await OpenRows(20);
        var first = await t.Db.SelectAsync(t.T("scores"), null, new DbOptions { Count = 5 }, Ct);
        var rest = await ScanIds(t, null, new DbOptions { Count = 4, Start = first.NextToken });
        var all = first.Rows.Select(r => (long)r["id"]!).Concat(rest).ToList();
        AssertWholeTableOrder(Enumerable.Range(0, 20).Select(i => (long)i), all);
    }
}
