using System.Reflection;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Backend.DynamoDb;
using Backend.Tests.Conformance;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>A client over dynalite that adds TransactWriteItems (which dynalite lacks): conditions are checked
/// first, then the writes applied, so the driver's transactional batch path runs against a real store.</summary>
public class TransactingClient : DispatchProxy
{
    public IAmazonDynamoDB Inner { get; set; } = null!;

    private int _transactions;

    public int Transactions => Volatile.Read(ref _transactions);

    public static IAmazonDynamoDB Wrap(IAmazonDynamoDB inner, out TransactingClient proxy)
    {
        var client = Create<IAmazonDynamoDB, TransactingClient>();
        proxy = (TransactingClient)(object)client;
        proxy.Inner = inner;
        return client;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IAmazonDynamoDB.TransactWriteItemsAsync))
            return Transact((TransactWriteItemsRequest)args![0]!, (CancellationToken)args[1]!);
        try
        {
            return targetMethod.Invoke(Inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private async Task<TransactWriteItemsResponse> Transact(TransactWriteItemsRequest request, CancellationToken ct)
    {
        Interlocked.Increment(ref _transactions);
        if (request.TransactItems.Count > 100) throw new AmazonDynamoDBException("too many items") { ErrorCode = "ValidationException" };
        var reasons = new List<CancellationReason>();
        foreach (var item in request.TransactItems)
        {
            var (table, key, condition) = item switch
            {
                { Put: { } p } => (p.TableName, (Dictionary<string, AttributeValue>?)null, p.ConditionExpression),
                { Update: { } u } => (u.TableName, u.Key, u.ConditionExpression),
                { Delete: { } d } => (d.TableName, d.Key, d.ConditionExpression),
                { ConditionCheck: { } c } => (c.TableName, c.Key, c.ConditionExpression),
                _ => throw new InvalidOperationException("empty item"),
            };
            var ok = true;
            if (condition is not null)
            {
                if (key is null)
                {
                    var schema = (await Inner.DescribeTableAsync(table, ct)).Table.KeySchema;
                    key = schema.ToDictionary(k => k.AttributeName, k => item.Put.Item[k.AttributeName]);
                }
                var exists = (await Inner.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }, ct)).Item is { Count: > 0 };
                ok = condition.StartsWith("attribute_not_exists", StringComparison.Ordinal) ? !exists : exists;
            }
            reasons.Add(new CancellationReason { Code = ok ? "None" : "ConditionalCheckFailed" });
        }
        if (reasons.Any(r => r.Code != "None")) throw new TransactionCanceledException("Transaction cancelled") { CancellationReasons = reasons };
        foreach (var item in request.TransactItems)
        {
            if (item.Put is { } p) await Inner.PutItemAsync(new PutItemRequest { TableName = p.TableName, Item = p.Item, ConditionExpression = p.ConditionExpression, ExpressionAttributeNames = p.ExpressionAttributeNames, ExpressionAttributeValues = p.ExpressionAttributeValues }, ct);
            if (item.Update is { } u) await Inner.UpdateItemAsync(new UpdateItemRequest { TableName = u.TableName, Key = u.Key, UpdateExpression = u.UpdateExpression, ConditionExpression = u.ConditionExpression, ExpressionAttributeNames = u.ExpressionAttributeNames, ExpressionAttributeValues = u.ExpressionAttributeValues }, ct);
            if (item.Delete is { } d) await Inner.DeleteItemAsync(new DeleteItemRequest { TableName = d.TableName, Key = d.Key, ConditionExpression = d.ConditionExpression, ExpressionAttributeNames = d.ExpressionAttributeNames, ExpressionAttributeValues = d.ExpressionAttributeValues }, ct);
        }
        return new TransactWriteItemsResponse();
    }
}

/// <summary>Batch through TransactWriteItems: atomic, 409 cancels everything, writes to missing rows count 0.</summary>
public sealed class DynamoTransactionTests(DynamodbTarget target) : DynamoTestBase(target)
{
    private async Task<(TestDb Db, TransactingClient Proxy)> OpenTransactingAsync()
    {
        var plain = (DynamoDbDriver)Target.CreateDriver();
        var client = TransactingClient.Wrap(plain.Client, out var proxy);
        var driver = new DynamoDbDriver("dynamodb", client, NullLogger<DynamoDbDriver>.Instance);
        return (await Target.OpenAsync(Items, driver), proxy);
    }

    [Fact]
    public async Task A_batch_is_one_transaction_and_writes_to_missing_rows_count_zero()
    {
        var (t, proxy) = await OpenTransactingAsync();
        await using var db = t;
        var items = t.T("items");
        await t.Db.Put(items, Row(("id", "old"), ("n", 1)), null, Ct);
        await t.Db.Put(items, Row(("id", "old2"), ("n", 2)), null, Ct);
        var r = await t.Db.Batch(
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
        ], null, Ct);
        // First try cancelled by the three writes to missing rows and the key-only Replace of an existing one; the second commits.
        Assert.Equal(2, proxy.Transactions);
        Assert.Equal(5, r.Affected);
        Assert.Equal(["{id=s:a;n=l:1;}", "{id=s:b;n=l:2;}", "{hits=l:3;id=s:c;}", "{id=s:d;name=s:dee;}", "{id=s:old;n=l:5;}", "{id=s:old2;n=l:2;}"], (await t.Db.Select(items, null, null, Ct)).Rows.Select(Canon));
    }

    [Fact]
    public async Task An_add_conflict_cancels_the_whole_batch()
    {
        var (t, proxy) = await OpenTransactingAsync();
        await using var db = t;
        var items = t.T("items");
        await t.Db.Put(items, Row(("id", "taken")), null, Ct);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.Batch(
        [
            new DbBatchItem(DbOperation.Put, items, Row(("id", "new"))),
            new DbBatchItem(DbOperation.Add, items, Row(("id", "taken"), ("n", 1))),
        ], null, Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal(1, proxy.Transactions);
        Assert.Null(await t.Db.Get(items, Row(("id", "new")), null, Ct));
        Assert.Equal("{id=s:taken;}", Canon((await t.Db.Get(items, Row(("id", "taken")), null, Ct))!));
    }

    [Fact]
    public async Task Large_batches_and_batches_touching_a_row_twice_run_one_by_one()
    {
        var (t, proxy) = await OpenTransactingAsync();
        await using var db = t;
        var items = t.T("items");
        var many = Enumerable.Range(0, 120).Select(i => new DbBatchItem(DbOperation.Put, items, Row(("id", $"i{i:000}")))).ToList();
        Assert.Equal(120, (await t.Db.Batch(many, null, Ct)).Affected);
        var twice = await t.Db.Batch(
        [
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "x"), ("hits", 1))),
            new DbBatchItem(DbOperation.Incr, items, Row(("id", "x"), ("hits", 1))),
        ], null, Ct);
        Assert.Equal(2, twice.Affected);
        Assert.Equal(0, proxy.Transactions);
        Assert.Equal(2L, (await t.Db.Get(items, Row(("id", "x")), null, Ct))!["hits"]);
        Assert.Equal(121, (await t.Db.Select(items, null, null, Ct)).Rows.Count);
    }
}
