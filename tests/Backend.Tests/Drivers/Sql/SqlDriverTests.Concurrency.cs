using Backend.Data;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Concurrent writers: exact counts, no errors (PostgreSQL and MySQL lock rows themselves).</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    [Fact]
    public async Task Thirty_two_concurrent_writers_incrementing_25_times_give_an_exact_800()
    {
        Target.RequireServer();
        await using var t = await Open();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            for (var j = 0; j < 25; j++)
            {
                await t.Db.IncrAsync(t.T("items"), Row(("id", "total"), ("hits", 1)), Ct);
                await t.Db.IncrAsync(t.T("items"), Row(("id", $"mine{w}"), ("hits", 2), ("name", $"last {j}")), Ct);
            }
        }, Ct)));
        Assert.Equal(800L, (await t.Db.GetAsync(t.T("items"), Row(("id", "total")), Ct))!["hits"]);
        for (var w = 0; w < 32; w++)
            Assert.Equal(Row(("id", $"mine{w}"), ("name", "last 24"), ("hits", 50L)), await t.Db.GetAsync(t.T("items"), Row(("id", $"mine{w}")), Ct));
    }

    [Fact]
    public async Task Concurrent_adds_of_one_key_give_exactly_one_success_and_409s()
    {
        Target.RequireServer();
        await using var t = await Open();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await t.Db.AddAsync(t.T("items"), Row(("id", "one"), ("n", i)), Ct);
                return 200;
            }
            catch (DbException ex)
            {
                return ex.Status;
            }
        }, Ct)));
        Assert.Equal(1, results.Count(s => s == 200));
        Assert.All(results.Where(s => s != 200), s => Assert.Equal(409, s));
    }

    [Fact]
    public async Task Concurrent_batches_on_the_same_rows_all_commit()
    {
        Target.RequireServer();
        await using var t = await Open();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var j = 0; j < 5; j++)
            {
                // opposite orders invite deadlocks; the driver retries the victim
                var rows = w % 2 == 0 ? new[] { "a", "b" } : ["b", "a"];
                await t.Db.BatchAsync(rows.Select(id => new DbBatchItem(DbOperation.Incr, t.T("items"), Row(("id", id), ("hits", 1)))), Ct);
            }
        }, Ct)));
        Assert.Equal(80L, (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["hits"]);
        Assert.Equal(80L, (await t.Db.GetAsync(t.T("items"), Row(("id", "b")), Ct))!["hits"]);
    }
}
