using System.Diagnostics;
using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>Many concurrent writers on one file: no errors (never "database is locked") and exact final counts.</summary>
public sealed class ConcurrencyTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private const int Writers = 64;
    private const int Operations = 50;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One writer's 50 iterations: Put its own row, Incr the shared and its own counter, Update its row, and read.</summary>
    private static async Task Writer(Db db, int w, string prefix)
    {
        for (var j = 0; j < Operations; j++)
        {
            switch (j % 3)
            {
                case 0:
                    await db.PutAsync(Items, Row(("id", $"{prefix}w{w}-{j}"), ("name", $"writer {w}"), ("n", j)), Ct);
                    break;
                case 1:
                    await db.UpdateAsync(Items, Row(("id", $"{prefix}w{w}-{j - 1}"), ("n", j), ("flag", true)), Ct);
                    break;
                default:
                    Assert.NotNull(await db.GetAsync(Items, Row(("id", $"{prefix}w{w}-{j - 2}")), Ct));
                    break;
            }
            await db.IncrAsync(Items, Row(("id", "total"), ("hits", 1)), Ct);
            await db.IncrAsync(Items, Row(("id", $"{prefix}mine{w}"), ("hits", 1), ("name", $"last {j}")), Ct);
        }
    }

    [Fact]
    public async Task Sixty_four_concurrent_writers_through_one_db_never_fail_and_counts_are_exact()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("conc"), All);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => Writer(t.Db, w, ""), Ct)));
        watch.Stop();

        Assert.Equal((long)Writers * Operations, (await t.Db.GetAsync(Items, Row(("id", "total")), Ct))?["hits"]);
        for (var w = 0; w < Writers; w++)
        {
            var mine = (await t.Db.GetAsync(Items, Row(("id", $"mine{w}")), Ct))!;
            Assert.Equal((long)Operations, mine["hits"]);
            Assert.Equal($"last {Operations - 1}", mine["name"]);
        }
        var written = (await t.Db.SelectAsync(Items, Row(("flag", true)), Ct)).Rows;
        Assert.Equal(Writers * ((Operations + 1) / 3), written.Count);
        Assert.All(written, r => Assert.Equal(r.GetLong("n"), long.Parse(r.GetString("id")!.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture) + 1));
        Assert.Equal(Writers * ((Operations + 2) / 3) + Writers + 1, (await t.Db.SelectAsync(Items, null, Ct)).Rows.Count);
        TestContext.Current.SendDiagnosticMessage($"{Writers * Operations * 3} operations in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Concurrent_readers_and_writers_see_consistent_rows()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("rw"), All);
        await t.Db.PutAsync(Items, Row(("id", "x"), ("n", 0), ("name", "v0")), Ct);
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 200; i++) await t.Db.PutAsync(Items, Row(("id", "x"), ("n", i), ("name", $"v{i}")), Ct);
        }, Ct);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var row = (await t.Db.GetAsync(Items, Row(("id", "x")), Ct))!;
                Assert.Equal($"v{row["n"]}", row["name"]); // never a half-written row
                Assert.Single((await t.Db.SelectAsync(Items, null, new DbOptions { Count = 5 }, Ct)).Rows);
            }
        }, Ct));
        await Task.WhenAll([writer, .. readers]);
        Assert.Equal(200L, (await t.Db.GetAsync(Items, Row(("id", "x")), Ct))?["n"]);
    }

    [Fact]
    public async Task Two_db_instances_over_one_file_write_concurrently_without_errors()
    {
        var path = dir.NewFile("two");
        await using var a = await TestDatabase.OpenAsync(path, All);
        await using var b = await TestDatabase.OpenAsync(path, All);
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(() => Writer((w % 2 == 0 ? a : b).Db, w, ""), Ct));
        await Task.WhenAll(tasks);

        Assert.Equal((long)Writers * Operations, (await a.Db.GetAsync(Items, Row(("id", "total")), Ct))?["hits"]);
        Assert.Equal((long)Writers * Operations, (await b.Db.GetAsync(Items, Row(("id", "total")), Ct))?["hits"]);
        for (var w = 0; w < Writers; w++)
            Assert.Equal((long)Operations, (await a.Db.GetAsync(Items, Row(("id", $"mine{w}")), Ct))?["hits"]);
    }

    [Fact]
    public async Task Two_db_instances_can_initialise_a_fresh_file_at_the_same_time()
    {
        for (var round = 0; round < 5; round++)
        {
            var path = dir.NewFile("fresh");
            var opens = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => TestDatabase.OpenAsync(path, All), Ct)));
            await Task.WhenAll(opens.Select((o, i) => Task.Run(() => o.Db.IncrAsync(Items, Row(("id", "c"), ("hits", 1)), Ct), Ct)));
            Assert.Equal(4L, (await opens[0].Db.GetAsync(Items, Row(("id", "c")), Ct))?["hits"]);
            foreach (var o in opens) await o.DisposeAsync();
        }
    }

    [Fact]
    public async Task Concurrent_adds_of_the_same_key_give_one_success_and_409s()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("add"), All);
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            try
            {
                await t.Db.AddAsync(Items, Row(("id", "once"), ("n", i)), Ct);
                return 200;
            }
            catch (DbException ex)
            {
                return ex.Status;
            }
        }, Ct)));
        Assert.Equal(1, results.Count(s => s == 200));
        Assert.Equal(31, results.Count(s => s == 409));
    }
}
