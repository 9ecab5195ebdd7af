using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Incr is one atomic UpdateItem ADD: concurrent increments never lose an update.</summary>
public sealed class DynamoDbConcurrencyTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    [Fact]
    public async Task Thirty_two_tasks_of_twenty_five_increments_count_exactly()
    {
        await using var t = await OpenAsync(Items);
        var items = t.T("items");
        await Task.WhenAll(Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            for (var j = 0; j < 25; j++)
            {
                await t.Db.IncrAsync(items, Row(("id", "total"), ("hits", 1)), Ct);
                await t.Db.IncrAsync(items, Row(("id", $"w{w}"), ("hits", 2), ("name", $"last {j}")), Ct);
            }
        }, Ct)));
        Assert.Equal(800L, (await t.Db.GetAsync(items, Row(("id", "total")), Ct))!["hits"]);
        for (var w = 0; w < 32; w++)
        {
            var row = (await t.Db.GetAsync(items, Row(("id", $"w{w}")), Ct))!;
            Assert.Equal(50L, row["hits"]);
            Assert.Equal("last 24", row["name"]);
        }
    }

    [Fact]
    public async Task Concurrent_adds_of_one_key_have_exactly_one_winner()
    {
        await using var t = await OpenAsync(Items);
        var items = t.T("items");
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            try
            {
                await t.Db.AddAsync(items, Row(("id", "one"), ("n", w)), Ct);
                return 0;
            }
            catch (DbException ex)
            {
                return ex.Status;
            }
        }, Ct)));
        Assert.Single(results, 0);
        Assert.Equal(15, results.Count(s => s == 409));
    }
}
