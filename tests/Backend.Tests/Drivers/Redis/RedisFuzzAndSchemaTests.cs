using Backend.Data;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Random writes applied to Redis and SQLite alike end in the same rows with consistent indexes; and schema
/// upgrades: an index added to a table with rows is built from them, a dropped one is deleted and rebuilt when it returns.</summary>
public sealed class RedisFuzzAndSchemaTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    private static void Fuzz(TableRegistry tables, string prefix) => tables.Add(prefix + "f", t => t
        .Column("a", primary: true)
        .Column("b", ColumnType.Int, primary: true)
        .Column("name", index: 1)
        .Column("n", ColumnType.Int, index: 2)
        .Column("a2", index: 2)
        .Column("score", ColumnType.Real, index: 3)
        .Column("c", ColumnType.Counter, index: 4)
        .Column("doc", ColumnType.Json));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_writes_leave_the_same_rows_as_sqlite_and_consistent_indexes(int seed)
    {
        targets.Redis.RequireServer();
        await using var r = await targets.Redis.OpenAsync(Fuzz);
        await using var s = await targets.Sqlite.OpenAsync(Fuzz);
        var random = new Random(seed);
        string?[] names = [null, "", "x", "y", "é", "😀", "x\0y"];
        DbRow Values(bool full)
        {
            var row = Row(("a", random.Next(3) switch { 0 => "p", 1 => "q", _ => "pq" }), ("b", random.Next(6) - 2));
            foreach (var (col, make) in new (string, Func<object?>)[]
            {
                ("name", () => names[random.Next(names.Length)]),
                ("n", () => random.Next(4) == 0 ? null : random.Next(-3, 4)),
                ("a2", () => random.Next(3) == 0 ? null : $"v{random.Next(3)}"),
                ("score", () => random.Next(4) == 0 ? null : random.Next(-2, 3) / 2.0),
                ("c", () => random.Next(-5, 6)),
                ("doc", () => random.Next(2) == 0 ? null : $"{{\"k\":{random.Next(3)}}}"),
            })
            {
                if (full || random.Next(2) == 0) row[col] = make();
            }
            return row;
        }
        for (var i = 0; i < 400; i++)
        {
            var op = (DbOperation)new[] { DbOperation.Add, DbOperation.Put, DbOperation.Update, DbOperation.Incr, DbOperation.Replace, DbOperation.Del, DbOperation.UpdateAll, DbOperation.DelAll, DbOperation.Batch }[random.Next(9)];
            var row = Values(op is DbOperation.Put or DbOperation.Add);
            var batch = Enumerable.Range(0, 3).Select(_ => (new[] { DbOperation.Put, DbOperation.Update, DbOperation.Incr, DbOperation.Del, DbOperation.Replace }[random.Next(5)], Values(false))).ToList();
            var where = Row(("n", random.Next(-1, 3)));
            var set = Row(("name", names[random.Next(names.Length)]), ("score", 1.5));
            var results = new List<string>();
            foreach (var t in new[] { s, r })
            {
                try
                {
                    var result = op switch
                    {
                        DbOperation.Add => await t.Db.AddAsync(t.T("f"), row, Ct),
                        DbOperation.Put => await t.Db.PutAsync(t.T("f"), row, Ct),
                        DbOperation.Update => await t.Db.UpdateAsync(t.T("f"), row, Ct),
                        DbOperation.Incr => await t.Db.IncrAsync(t.T("f"), row, Ct),
                        DbOperation.Replace => await t.Db.ReplaceAsync(t.T("f"), row, Ct),
                        DbOperation.Del => await t.Db.DelAsync(t.T("f"), row, Ct),
                        DbOperation.UpdateAll => await t.Db.UpdateAllAsync(t.T("f"), where, set, new DbOptions().Op("n", DbCompare.Ge), Ct),
                        DbOperation.DelAll => await t.Db.DelAllAsync(t.T("f"), where, Ct),
                        _ => await t.Db.BatchAsync(batch.Select(b => new DbBatchItem(b.Item1, t.T("f"), b.Item2)), Ct),
                    };
                    results.Add($"ok {result.Affected}");
                }
                catch (DbException ex)
                {
                    results.Add($"error {ex.Status}");
                }
            }
            Assert.True(results[0] == results[1], $"step {i} {op}: sqlite {results[0]}, redis {results[1]}");
        }
        var all = new[] { s, r }.Select(async t => Canon((await t.Db.SelectAsync(t.T("f"), null, Ct)).Rows)).ToList();
        Assert.Equal(await all[0], await all[1]);
        Assert.NotEmpty(await all[1]);
        foreach (var sort in new[] { "name", "n", "a2", "score", "c" })
        {
            foreach (var desc in new[] { false, true })
            {
                var rr = await AllPages(r.Db, r.T("f"), null, () => new DbOptions { Sort = sort, Desc = desc, Count = 5 });
                var ss = await AllPages(s.Db, s.T("f"), null, () => new DbOptions { Sort = sort, Desc = desc, Count = 5 });
                Assert.Equal(ss.SelectMany(p => Canon(p.Rows)), rr.SelectMany(p => Canon(p.Rows)));
            }
        }
        await AssertIndexesConsistent(targets.Raw(), r.Db.Table(r.T("f")));
    }

    private static void Version1(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("name")
        .Column("rating", ColumnType.Real)
        .Column("owner"));

    private static void Version2(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("name", index: 1)
        .Column("rating", ColumnType.Real, index: 2)
        .Column("owner", index: 2)
        .Column("likes", ColumnType.Counter));

    private static void Version3(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("name")
        .Column("rating", ColumnType.Real, index: 2)
        .Column("owner", index: 2)
        .Column("likes", ColumnType.Counter));

    [Fact]
    public async Task An_index_added_to_a_table_with_rows_is_built_from_them()
    {
        targets.Redis.RequireServer();
        var raw = targets.Raw();
        var prefix = "up" + Guid.NewGuid().ToString("N")[..8] + "_";
        await using (var v1 = await targets.Redis.OpenWithPrefixAsync(Version1, prefix))
        {
            var items = Enumerable.Range(0, 1500).Select(i => new DbBatchItem(DbOperation.Put, v1.T("album"),
                Row(("id", i), ("name", i % 10 == 0 ? null : $"n{i % 17}"), ("rating", i % 5 / 2.0), ("owner", $"o{i % 3}")))).ToList();
            foreach (var chunk in items.Chunk(500)) await v1.Db.BatchAsync(chunk, Ct);
        }

        await using (var v2 = await targets.Redis.OpenWithPrefixAsync(Version2, prefix))
        {
            var table = v2.Db.Table(v2.T("album"));
            await AssertIndexesConsistent(raw, table);
            Assert.Equal(2, (await raw.SetMembersAsync("bk:{" + table.Name + "}:ixs")).Length);
            var n3 = (await v2.Db.SelectAsync(table.Name, Row(("name", "n3")), Ct)).Rows.Select(x => (long)x["id"]!).ToList();
            Assert.Equal(Enumerable.Range(0, 1500).Where(i => i % 10 != 0 && i % 17 == 3).Select(i => (long)i), n3);
            var pages = await AllPages(v2.Db, table.Name, Row(("rating", 1.0), ("owner", "o1")), () => new DbOptions { Count = 7 });
            Assert.Equal(Enumerable.Range(0, 1500).Where(i => i % 5 == 2 && i % 3 == 1).Select(i => (long)i), pages.SelectMany(p => p.Rows).Select(x => (long)x["id"]!));
            // later writes keep it right
            await v2.Db.UpdateAsync(table.Name, Row(("id", 3), ("name", "renamed")), Ct);
            await v2.Db.IncrAsync(table.Name, Row(("id", 4), ("likes", 1)), Ct);
            await AssertIndexesConsistent(raw, table);
        }

        // the name index is dropped (deleted, forgotten); rows change while it is gone
        await using (var v3 = await targets.Redis.OpenWithPrefixAsync(Version3, prefix))
        {
            var table = v3.Db.Table(v3.T("album"));
            Assert.False(await raw.KeyExistsAsync("bk:{" + table.Name + "}:ix:name"));
            Assert.Equal(["rating,owner"], (await raw.SetMembersAsync("bk:{" + table.Name + "}:ixs")).Select(v => (string)v!));
            await v3.Db.UpdateAsync(table.Name, Row(("id", 3), ("name", "again")), Ct);
            await v3.Db.UpdateAsync(table.Name, Row(("id", 5), ("name", null)), Ct);
            await v3.Db.DelAsync(table.Name, Row(("id", 6)), Ct);
        }

        // and comes back: rebuilt, not stale
        await using (var v4 = await targets.Redis.OpenWithPrefixAsync(Version2, prefix))
        {
            var table = v4.Db.Table(v4.T("album"));
            await AssertIndexesConsistent(raw, table);
            Assert.Equal([3L], (await v4.Db.SelectAsync(table.Name, Row(("name", "again")), Ct)).Rows.Select(x => (long)x["id"]!));
            Assert.Empty((await v4.Db.SelectAsync(table.Name, Row(("name", "renamed")), Ct)).Rows);
            Assert.Contains(5L, (await v4.Db.SelectAsync(table.Name, Row(("name", null)), Ct)).Rows.Select(x => (long)x["id"]!));
        }
    }

    [Fact]
    public async Task Reopening_an_unchanged_table_rebuilds_nothing()
    {
        targets.Redis.RequireServer();
        var raw = targets.Raw();
        var prefix = "re" + Guid.NewGuid().ToString("N")[..8] + "_";
        await using (var a = await targets.Redis.OpenWithPrefixAsync(Version2, prefix))
            await a.Db.PutAsync(a.T("album"), Row(("id", 1), ("name", "x")), Ct);
        // plant a marker entry: a rebuild would not remove it (it has no row) but a rebuild from scratch would not have it either;
        // reopening must leave the built index alone
        var key = "bk:{" + prefix + "album}:ix:name";
        await raw.SortedSetAddAsync(key, "marker", 0);
        await using (var b = await targets.Redis.OpenWithPrefixAsync(Version2, prefix))
            Assert.Equal(2, await raw.SortedSetLengthAsync(key));
        await raw.SortedSetRemoveAsync(key, "marker");
    }
}
