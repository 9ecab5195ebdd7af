using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Concurrent writers through one Db and through two Dbs (two pools, as two processes would have) never fail,
/// and counters end exact.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    private const int Writers = 32;
    private const int OpsPerWriter = 25;

    /// <summary>One writer's 25 calls: every 5 calls it puts its own row, updates it, reads it back, and increments the
    /// shared counter and its own.</summary>
    private static async Task Writer(Db db, string table, int w)
    {
        for (var j = 0; j < OpsPerWriter; j++)
        {
            var id = $"w{w:00}-{j / 5}";
            switch (j % 5)
            {
                case 0:
                    await db.PutAsync(table, Row(("id", id), ("name", $"writer {w}"), ("n", j)), Ct);
                    break;
                case 1:
                    Assert.Equal(1, (await db.UpdateAsync(table, Row(("id", id), ("n", j), ("flag", true)), Ct)).Affected);
                    break;
                case 2:
                    var row = await db.GetAsync(table, Row(("id", id)), Ct);
                    Assert.Equal((long)j - 1, row?["n"]);
                    break;
                case 3:
                    await db.IncrAsync(table, Row(("id", "total"), ("hits", 1)), Ct);
                    break;
                default:
                    await db.IncrAsync(table, Row(("id", $"mine{w:00}"), ("hits", 1), ("name", $"last {j}")), Ct);
                    break;
            }
        }
    }

    [Fact]
    public async Task Thirty_two_concurrent_writers_through_one_db_never_fail_and_counters_end_exact()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => Writer(t.Db, table, w), Ct)));

        const int rounds = OpsPerWriter / 5;
        Assert.Equal((long)Writers * rounds, (await t.Db.GetAsync(table, Row(("id", "total")), Ct))?["hits"]);
        var rows = (await t.Db.SelectAsync(table, null, Ct)).Rows;
        Assert.Equal(Writers * rounds + Writers + 1, rows.Count);
        for (var w = 0; w < Writers; w++)
        {
            var mine = rows.Single(r => (string)r["id"]! == $"mine{w:00}");
            Assert.Equal((long)rounds, mine["hits"]);
            Assert.Equal($"last {OpsPerWriter - 1}", mine["name"]);
        }
        Assert.All(rows.Where(r => ((string)r["id"]!).StartsWith('w')), r =>
        {
            Assert.Equal(true, r["flag"]);
            Assert.Equal(1, r.GetLong("n") % 5);
        });
    }

    [Fact]
    public async Task Concurrent_incr_of_one_counter_is_exact()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => t.Db.IncrAsync(t.T("pairs"), Row(("a", "c"), ("b", 1), ("hits", i % 2 == 0 ? 3 : -1)), Ct), Ct)));
        Assert.Equal(25L * 3 - 25, (await t.Db.GetAsync(t.T("pairs"), Row(("a", "c"), ("b", 1)), Ct))?["hits"]);
    }

    [Fact]
    public async Task An_incr_with_NoUpsert_racing_a_del_never_brings_the_row_back()
    {
        // Whichever runs first, the row ends deleted: an Incr of the existing row only must not recreate it.
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var existing = new DbOptions { NoUpsert = true };
        var ids = Enumerable.Range(0, 30).Select(i => $"race{i}").ToList();
        await PutAll(t.Db, table, ids.Select(id => Row(("id", id), ("hits", 1), ("name", "n"))));
        await Task.WhenAll(ids.SelectMany(id => new[]
        {
            Task.Run(() => t.Db.IncrAsync(table, Row(("id", id), ("hits", 1), ("name", "x")), existing, Ct), Ct),
            Task.Run(() => t.Db.DelAsync(table, Row(("id", id)), Ct), Ct),
        }));
        var left = new List<string>();
        foreach (var id in ids)
            if (await t.Db.GetAsync(table, Row(("id", id)), Ct) is not null) left.Add(id);
        Assert.Empty(left);
    }

    [Fact]
    public async Task Concurrent_adds_of_the_same_key_give_one_success_and_409s()
    {
        await using var t = await Target.OpenAsync(Plain);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await t.Db.AddAsync(t.T("plain"), Row(("id", "once"), ("n", i)), Ct);
                return 200;
            }
            catch (DbException ex)
            {
                return ex.Status;
            }
        }, Ct)));
        Assert.Equal(1, results.Count(s => s == 200));
        Assert.Equal(15, results.Count(s => s == 409));
        Assert.NotNull((await t.Db.GetAsync(t.T("plain"), Row(("id", "once")), Ct))?["n"]);
    }

    [Fact]
    public async Task Concurrent_readers_never_see_a_half_written_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "x"), ("n", 0), ("name", "v0")), Ct);
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 40; i++) await t.Db.PutAsync(table, Row(("id", "x"), ("n", i), ("name", $"v{i}")), Ct);
        }, Ct);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var row = (await t.Db.GetAsync(table, Row(("id", "x")), Ct))!;
                Assert.Equal($"v{row["n"]}", row["name"]);
            }
        }, Ct));
        await Task.WhenAll([writer, .. readers]);
        Assert.Equal(40L, (await t.Db.GetAsync(table, Row(("id", "x")), Ct))?["n"]);
    }

    [Fact]
    public async Task Two_dbs_writing_concurrently_complete_and_agree()
    {
        var prefix = "p" + Guid.NewGuid().ToString("N")[..10] + "_";
        await using var a = await Target.OpenWithPrefixAsync(Plain, prefix, Target.CreateDriver());
        await using var b = await Target.OpenWithPrefixAsync(Plain, prefix, Target.CreateDriver());
        var table = a.T("plain");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() => Writer((w % 2 == 0 ? a : b).Db, table, w), Ct)));

        const int rounds = OpsPerWriter / 5;
        Assert.Equal(8L * rounds, (await a.Db.GetAsync(table, Row(("id", "total")), Ct))?["hits"]);
        Assert.Equal(8L * rounds, (await b.Db.GetAsync(table, Row(("id", "total")), Ct))?["hits"]);
        for (var w = 0; w < 8; w++)
            Assert.Equal((long)rounds, (await (w % 2 == 0 ? b : a).Db.GetAsync(table, Row(("id", $"mine{w:00}")), Ct))?["hits"]);
    }

    [Fact]
    public async Task Two_dbs_initialising_the_same_new_tables_at_once_both_succeed()
    {
        var prefix = "i" + Guid.NewGuid().ToString("N")[..10] + "_";
        var describe = With(Items, Pairs);
        var opens = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => Target.OpenWithPrefixAsync(describe, prefix), Ct)));
        try
        {
            await Task.WhenAll(opens.Select(o => Task.Run(() => o.Db.IncrAsync(o.T("items"), Row(("id", "c"), ("hits", 1)), Ct), Ct)));
            Assert.Equal(3L, (await opens[0].Db.GetAsync(opens[0].T("items"), Row(("id", "c")), Ct))?["hits"]);
        }
        finally
        {
            foreach (var o in opens) await o.DisposeAsync();
        }
    }
}
