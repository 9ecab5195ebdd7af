using Backend.Data;
using Backend.DynamoDb;
using Backend.Tests.Conformance;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Batch through real TransactWriteItems on AWS DynamoDB Local (dynalite has none; a stand-in client that
/// added them over dynalite was dropped once this real server ran here): up to 100 writes to distinct rows are one transaction, a conflicting Add cancels
/// all of it (409), writes to missing rows are dropped from a second try and count 0; larger batches run one by one.</summary>
public sealed class DynamoDbLocalTransactionTests(DynamoDbLocalTarget target) : IClassFixture<DynamoDbLocalTarget>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestDb Db, RecordingClient Recorder)> OpenAsync()
    {
        var plain = (DynamoDbDriver)target.CreateDriver();
        var client = RecordingClient.Wrap(plain.Client, out var recorder);
        var driver = new DynamoDbDriver("dynamodb", client, NullLogger<DynamoDbDriver>.Instance);
        return (await target.OpenAsync(DynamoDbTestBase.Items, driver), recorder);
    }

    private static DbRow Row(params (string Name, object? Value)[] values) => DynamoDbTestBase.Row(values);

    private static string[] Transactions(RecordingClient r) => [.. r.Calls.Where(c => c.StartsWith("TransactWriteItems ", StringComparison.Ordinal))];

    [Fact]
    public async Task A_batch_is_one_transaction_and_writes_to_missing_rows_count_zero()
    {
        var (t, recorder) = await OpenAsync();
        await using var db = t;
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "old"), ("n", 1)), Ct);
        await t.Db.PutAsync(items, Row(("id", "old2"), ("n", 2)), Ct);
        var r = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Add, items, Row(("id", "a"), ("n", 1))),
            new DbBatchItem(DbOperation.Put, items, Row(("id", "b"), ("n", 2))),
            new DbBatchItem(DbOperation.Update, items, Row(("id", "old"), ("n", 5))),
            new DbBatchItem(DbOperation.Update, items, Row(("id", "ghost"), ("n", 5))),
            new DbBatchItem(DbOperation.Update, items, Row(("id", "ghost2"))),
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "c"), ("hits", 3))),
            new DbBatchItem(DbOperation.Replace, items, Row(("id", "d"), ("name", "dee"))),
            new DbBatchItem(DbOperation.Replace, items, Row(("id", "old2"))),
            new DbBatchItem(DbOperation.Del, items, Row(("id", "nope"))),
        ], Ct);
        // The first transaction is cancelled by the conditions of the three writes to missing rows and of the key-only
        // Replace of an existing row (DynamoDB Local reports ConditionalCheckFailed for exactly those); the second,
        // without them, commits.
        Assert.Equal(["TransactWriteItems 9", "TransactWriteItems 5"], Transactions(recorder));
        Assert.Equal(5, r.Affected);
        Assert.Equal(["{id=s:a;n=l:1;}", "{id=s:b;n=l:2;}", "{hits=l:3;id=s:c;}", "{id=s:d;name=s:dee;}", "{id=s:old;n=l:5;}", "{id=s:old2;n=l:2;}"],
            (await t.Db.SelectAsync(items, null, Ct)).Rows.Select(DynamoDbTestBase.Canon));
    }

    [Fact]
    public async Task A_conflicting_add_cancels_a_batch_of_100_writes()
    {
        var (t, recorder) = await OpenAsync();
        await using var db = t;
        var items = t.T("items");
        await t.Db.PutAsync(items, Row(("id", "taken"), ("name", "original")), Ct);
        var batch = Enumerable.Range(0, 99).Select(i => new DbBatchItem(DbOperation.Put, items, Row(("id", $"p{i:00}"))))
            .Append(new DbBatchItem(DbOperation.Add, items, Row(("id", "taken"), ("name", "changed")))).ToList();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync(batch, Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal(["TransactWriteItems 100"], Transactions(recorder));
        Assert.Equal(["{id=s:taken;name=s:original;}"], (await t.Db.SelectAsync(items, null, Ct)).Rows.Select(DynamoDbTestBase.Canon));

        // Without the conflict the same 100 writes are one transaction that commits.
        recorder.Clear();
        batch[^1] = new DbBatchItem(DbOperation.Add, items, Row(("id", "free")));
        Assert.Equal(100, (await t.Db.BatchAsync(batch, Ct)).Affected);
        Assert.Equal(["TransactWriteItems 100"], Transactions(recorder));
        Assert.Equal(101, (await t.Db.SelectAsync(items, null, new DbOptions { Count = 1000 }, Ct)).Rows.Count);
    }

    [Fact]
    public async Task Larger_batches_and_batches_touching_a_row_twice_run_one_by_one()
    {
        var (t, recorder) = await OpenAsync();
        await using var db = t;
        var items = t.T("items");
        Assert.Equal(101, (await t.Db.BatchAsync(Enumerable.Range(0, 101).Select(i => new DbBatchItem(DbOperation.Put, items, Row(("id", $"i{i:000}")))), Ct)).Affected);
        var twice = await t.Db.BatchAsync(
        [
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "x"), ("hits", 1))),
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "x"), ("hits", 1))),
        ], Ct);
        Assert.Equal(2, twice.Affected);
        Assert.Empty(Transactions(recorder));
        Assert.Equal(2L, (await t.Db.GetAsync(items, Row(("id", "x")), Ct))!["hits"]);
        Assert.Equal(102, (await t.Db.SelectAsync(items, null, new DbOptions { Count = 1000 }, Ct)).Rows.Count);
    }
}
