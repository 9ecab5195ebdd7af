using Backend.Data;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Keyset paging over 20 rows (each row exactly once, in order, ending with ""), and concurrent writers.</summary>
public sealed class RedisPagingAndConcurrencyTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    private static void Scores(TableRegistry tables, string prefix) => tables.Add(prefix + "scores", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("score", ColumnType.Int, index: 1)
        .Column("ratio", ColumnType.Real)
        .Column("name")
        .Column("hits", ColumnType.Counter, index: 2));

    private static IEnumerable<long> Expected(IEnumerable<int> ids, Func<int, long>? key, bool desc)
    {
        var list = ids.ToList();
        IEnumerable<int> ordered = key is null
            ? (desc ? list.OrderDescending() : list.Order())
            : (desc ? list.OrderByDescending(key).ThenByDescending(i => i) : list.OrderBy(key).ThenBy(i => i));
        return ordered.Select(i => (long)i);
    }

    [Theory]
    [InlineData(1, null, false)]
    [InlineData(3, null, false)]
    [InlineData(7, null, false)]
    [InlineData(1, null, true)]
    [InlineData(3, null, true)]
    [InlineData(7, null, true)]
    [InlineData(1, "score", false)]
    [InlineData(3, "score", false)]
    [InlineData(7, "score", true)]
    [InlineData(3, "ratio", false)]
    [InlineData(7, "ratio", true)]
    [InlineData(1, "name", true)]
    [InlineData(20, "score", false)]
    [InlineData(25, null, true)]
    public async Task Following_tokens_visits_every_row_exactly_once_in_order(int count, string? sort, bool desc)
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        for (var i = 0; i < 20; i++)
            await t.Db.PutAsync(t.T("scores"), Row(("id", i), ("score", i * 7 % 5), ("ratio", i % 3 / 3.0), ("name", $"n{(19 - i) % 10}")), Ct);
        var pages = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Sort = sort, Desc = desc });
        Assert.Equal((20 + count - 1) / count, pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Rows.Count));
        Func<int, long>? key = sort switch { "score" => i => i * 7 % 5, "ratio" => i => i % 3, "name" => i => (19 - i) % 10, _ => null };
        Assert.Equal(Expected(Enumerable.Range(0, 20), key, desc), pages.SelectMany(p => p.Rows).Select(r => (long)r["id"]!));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, true)]
    [InlineData(7, false)]
    public async Task Paging_with_a_filter_visits_only_matching_rows_once(int count, bool desc)
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        for (var i = 0; i < 20; i++) await t.Db.PutAsync(t.T("scores"), Row(("id", i), ("score", i * 7 % 5), ("name", $"n{(19 - i) % 10}")), Ct);
        foreach (var sort in new string?[] { null, "score", "name" })
        {
            var pages = await AllPages(t.Db, t.T("scores"), Row(("score", 2)), () => new DbOptions { Count = count, Sort = sort, Desc = desc, Select = ["id"] }.Op("score", DbCompare.Ge));
            var rows = pages.SelectMany(p => p.Rows).ToList();
            Assert.All(rows, r => Assert.Equal(["id"], r.Keys));
            Func<int, long>? key = sort switch { "score" => i => i * 7 % 5, "name" => i => (19 - i) % 10, _ => null };
            Assert.Equal(Expected(Enumerable.Range(0, 20).Where(i => i * 7 % 5 >= 2), key, desc), rows.Select(r => (long)r["id"]!));
        }
    }

    /// <summary>A select by key reads the PK range, then the rows (two round trips): a row deleted in between leaves a
    /// member without a hash. Deleting hashes directly, behind the driver, makes that state deterministic: the missing
    /// rows are skipped, and neither the page (which must not end when a batch has fewer rows than members) nor
    /// the paging after it loses or repeats a row.</summary>
    [Theory]
    [InlineData(10, false)]
    [InlineData(10, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public async Task A_row_deleted_between_the_key_range_and_the_fetch_is_skipped_and_paging_goes_on(int count, bool desc)
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        for (var i = 0; i < 30; i++) await t.Db.PutAsync(t.T("scores"), Row(("id", i), ("score", i % 5)), Ct);
        var keys = new Backend.Redis.TableKeys(t.Db.Table(t.T("scores")));
        int[] gone = [3, 4, 11, 25, 26, 27];
        foreach (var id in gone) Assert.True(await targets.Raw().KeyDeleteAsync(keys.Row(keys.PkOf(Row(("id", id))))));
        var pages = await AllPages(t.Db, t.T("scores"), null, () => new DbOptions { Count = count, Desc = desc });
        var expected = Expected(Enumerable.Range(0, 30).Except(gone), null, desc).ToList();
        Assert.Equal(expected, pages.SelectMany(p => p.Rows).Select(r => (long)r["id"]!));
        Assert.Equal((expected.Count + count - 1) / count, pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Rows.Count));
    }

    [Fact]
    public async Task Rows_added_and_removed_between_pages_cause_no_repeats_or_skips()
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        for (var i = 0; i < 20; i += 2) await t.Db.PutAsync(t.T("scores"), Row(("id", i), ("score", i)), Ct);
        foreach (var sort in new string?[] { null, "score" })
        {
            var seen = new List<long>();
            var first = await t.Db.SelectAsync(t.T("scores"), null, new DbOptions { Count = 3, Sort = sort }, Ct);
            seen.AddRange(first.Rows.Select(r => (long)r["id"]!)); // 0, 2, 4
            await t.Db.PutAsync(t.T("scores"), Row(("id", 1), ("score", 1)), Ct);   // behind the cursor
            await t.Db.PutAsync(t.T("scores"), Row(("id", 11), ("score", 11)), Ct); // ahead of it
            await t.Db.DelAsync(t.T("scores"), Row(("id", 4)), Ct);                 // the cursor row itself
            var token = first.NextToken;
            while (token != "")
            {
                var page = await t.Db.SelectAsync(t.T("scores"), null, new DbOptions { Count = 3, Start = token, Sort = sort }, Ct);
                seen.AddRange(page.Rows.Select(r => (long)r["id"]!));
                token = page.NextToken;
            }
            Assert.Equal([0L, 2, 4, 6, 8, 10, 11, 12, 14, 16, 18], seen);
            await t.Db.DelAsync(t.T("scores"), Row(("id", 1)), Ct);
            await t.Db.DelAsync(t.T("scores"), Row(("id", 11)), Ct);
            await t.Db.PutAsync(t.T("scores"), Row(("id", 4), ("score", 4)), Ct);
        }
    }

    [Fact]
    public async Task Paging_through_more_rows_than_one_read_batch_is_exact()
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        var items = Enumerable.Range(0, 2500).Select(i => new DbBatchItem(DbOperation.Put, t.T("scores"), Row(("id", i), ("score", i % 7), ("name", $"n{i % 13}")))).ToList();
        foreach (var chunk in items.Chunk(500)) await t.Db.BatchAsync(chunk, Ct);
        var all = (await t.Db.SelectAsync(t.T("scores"), null, Ct)).Rows;
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (long)i), all.Select(r => (long)r["id"]!));
        foreach (var sort in new string?[] { "score", "name" })
        {
            var ids = (await AllPages(t.Db, t.T("scores"), Row(("score", 5)), () => new DbOptions { Count = 333, Sort = sort }.Op("score", DbCompare.Lt)))
                .SelectMany(p => p.Rows).Select(r => (long)r["id"]!).ToList();
            Assert.Equal(2500 - 2500 / 7 * 2 - (2500 % 7 > 5 ? 1 : 0), ids.Count);
            Assert.Equal(ids.Count, ids.Distinct().Count());
        }
    }

    [Fact]
    public async Task Concurrent_incr_32_times_25_is_exact_and_keeps_the_index_right()
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Ct }, async (w, ct) =>
        {
            for (var i = 0; i < 25; i++)
            {
                await t.Db.IncrAsync(t.T("scores"), Row(("id", 1), ("hits", 1)), ct);
                await t.Db.IncrAsync(t.T("scores"), Row(("id", 2 + w % 4), ("hits", 2)), ct);
            }
        });
        Assert.Equal(800L, (await t.Db.GetAsync(t.T("scores"), Row(("id", 1)), Ct))?["hits"]);
        for (var id = 2; id < 6; id++) Assert.Equal(400L, (await t.Db.GetAsync(t.T("scores"), Row(("id", id)), Ct))?["hits"]);
        Assert.Equal([1L], (await t.Db.SelectAsync(t.T("scores"), Row(("hits", 800)), Ct)).Rows.Select(r => r["id"]));
        await AssertIndexesConsistent(targets.Raw(), t.Db.Table(t.T("scores")));
    }

    [Fact]
    public async Task Concurrent_adds_of_one_key_let_exactly_one_win()
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            try
            {
                await t.Db.AddAsync(t.T("scores"), Row(("id", 7), ("name", $"w{i}")), Ct);
                return 200;
            }
            catch (DbException ex)
            {
                return ex.Status;
            }
        }));
        Assert.Equal(1, results.Count(s => s == 200));
        Assert.Equal(15, results.Count(s => s == 409));
    }

    [Fact]
    public async Task Concurrent_writers_of_indexed_columns_leave_no_stale_entries()
    {
        await using var t = await targets.Redis.OpenAsync(Scores);
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (w, ct) =>
        {
            var random = new Random(w);
            for (var i = 0; i < 60; i++)
            {
                var id = random.Next(5);
                switch (random.Next(5))
                {
                    case 0: await t.Db.PutAsync(t.T("scores"), Row(("id", id), ("score", random.Next(4))), ct); break;
                    case 1: await t.Db.UpdateAsync(t.T("scores"), Row(("id", id), ("score", random.Next(4))), ct); break;
                    case 2: await t.Db.IncrAsync(t.T("scores"), Row(("id", id), ("hits", 1), ("score", random.Next(4))), ct); break;
                    case 3: await t.Db.ReplaceAsync(t.T("scores"), Row(("id", id), ("score", null)), ct); break;
                    default: await t.Db.DelAsync(t.T("scores"), Row(("id", id)), ct); break;
                }
            }
        });
        await AssertIndexesConsistent(targets.Raw(), t.Db.Table(t.T("scores")));
    }
}
