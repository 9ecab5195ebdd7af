using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.DynamoDb;

internal sealed partial class DynamoDbDriver
{
    /// <summary>0: not known yet, 1: TransactWriteItems works, -1: the endpoint does not have it (dynalite).</summary>
    private int _transactions;

    /// <summary>Batch: up to 100 writes on distinct rows are one TransactWriteItems call — atomic, all or nothing,
    /// like the SQL drivers' transaction. Add is conditional on the row not existing (409 cancels the whole batch);
    /// Update and Del are conditional on it existing, and when such a condition fails the transaction is sent again
    /// without those writes (a missing row is 0 affected, as in SQL, not an error). Larger batches, batches touching
    /// one row twice, and endpoints without transactions (dynalite) run the writes one after another: not atomic,
    /// a failure part way (e.g. a 409) leaves the earlier writes done.</summary>
    private async Task<DbResult> BatchAsync(DbRequest r, CancellationToken ct)
    {
        var items = r.Batch;
        if (items.Count == 0) return new DbResult();
        var keys = items.Select(i => i.Table.Name + "\u0002" + string.Join("\u0001", DynamoDbTable.For(i.Table).Key(i.Row).Select(kv => kv.Key + "=" + (kv.Value.N ?? "s" + kv.Value.S)))).ToList();
        var transactional = items.Count <= 100 && keys.Distinct(StringComparer.Ordinal).Count() == keys.Count && Volatile.Read(ref _transactions) >= 0;
        if (transactional)
        {
            try
            {
                var result = await TransactAsync(items, ct);
                Volatile.Write(ref _transactions, 1);
                return result;
            }
            catch (Amazon.DynamoDBv2.AmazonDynamoDBException ex) when (ex.ErrorCode == "UnknownOperationException" && Volatile.Read(ref _transactions) == 0)
            {
                Volatile.Write(ref _transactions, -1);
                LogNoTransactions(_logger, Name);
            }
        }
        var affected = 0;
        foreach (var item in items)
        {
            affected += (await ExecuteAsync(item, ct)).Affected;
        }
        return new DbResult { Affected = affected };
    }

    private enum Expect
    {
        /// <summary>No condition.</summary>
        None,
        /// <summary>The row must not exist: failure is a 409 for the batch.</summary>
        Missing,
        /// <summary>The row must exist: failure means 0 affected for this write.</summary>
        Existing,
        /// <summary>Created only when missing: failure means 0 affected.</summary>
        Create,
        /// <summary>An Incr within the counter guard: failure is a 400 for the batch (the counter would overflow).</summary>
        InRange,
        /// <summary>An Incr of an existing row within the counter guard: failure is a 400 for the batch when the row
        /// exists (the reason carries its old item), else 0 affected.</summary>
        ExistingInRange,
    }

    private async Task<DbResult> TransactAsync(IReadOnlyList<DbRequest> requests, CancellationToken ct)
    {
        var writes = requests.Select(Transactional).ToList();
        var conflicts = 0;
        while (true)
        {
            if (writes.Count == 0) return new DbResult();
            try
            {
                await _client.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = [.. writes.Select(w => w.Item)] }, ct);
                return new DbResult { Affected = writes.Count(w => w.Counts) };
            }
            catch (TransactionCanceledException ex)
            {
                var reasons = ex.CancellationReasons ?? [];
                var failed = new HashSet<int>();
                for (var i = 0; i < Math.Min(reasons.Count, writes.Count); i++)
                {
                    if (reasons[i]?.Code != "ConditionalCheckFailed") continue;
                    if (writes[i].Expect is Expect.Missing) throw Conflict(DynamoDbTable.For(requests[writes[i].Index].Table), ex);
                    if (writes[i].Expect is Expect.InRange || writes[i].Expect is Expect.ExistingInRange && reasons[i].Item is { Count: > 0 })
                        throw new DbException(DbErrorKind.BadInput, $"{DynamoDbTable.For(requests[writes[i].Index].Table).Name}: counter out of range", ex);
                    failed.Add(i);
                }
                if (failed.Count > 0)
                {
                    // Writes to missing rows (Update, Del) are no-ops in SQL: drop them and commit the rest.
                    writes = [.. writes.Where((_, i) => !failed.Contains(i))];
                    continue;
                }
                if (reasons.Any(x => x?.Code is "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded") && conflicts++ < 5)
                {
                    await Task.Delay(Backoff(conflicts), ct);
                    continue;
                }
                if (reasons.Any(x => x?.Code is "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded"))
                    throw new DbException(DbErrorKind.Unavailable, $"{Name}: batch: dynamodb is busy, try again", ex);
                var why = string.Join("; ", reasons.Where(x => x?.Code is not null and not "None").Select(x => $"{x.Code}: {x.Message}"));
                throw new DbException(reasons.Any(x => x?.Code == "ValidationError") ? DbErrorKind.BadInput : DbErrorKind.Failed, $"{Name}: batch cancelled: {why}", ex);
            }
        }
    }

    private sealed record Write(int Index, TransactWriteItem Item, Expect Expect, bool Counts);

    /// <summary>The transactional form of one prepared write.</summary>
    private Write Transactional(DbRequest r, int index)
    {
        var t = DynamoDbTable.For(r.Table);
        var e = new Expressions();
        var key = t.Key(r.Row);
        switch (r.Operation)
        {
            case DbOperation.Add or DbOperation.Put:
                var add = r.Operation == DbOperation.Add;
                var put = new Put { TableName = t.Name, Item = Item(t, r.Row) };
                if (add) put.ConditionExpression = $"attribute_not_exists({e.Name(t.Hash)})";
                put.ExpressionAttributeNames = e.Names;
                return new Write(index, new TransactWriteItem { Put = put }, add ? Expect.Missing : Expect.None, true);
            case DbOperation.Del:
                return new Write(index, new TransactWriteItem
                {
                    Delete = new Delete { TableName = t.Name, Key = key, ConditionExpression = $"attribute_exists({e.Name(t.Hash)})", ExpressionAttributeNames = e.Names },
                }, Expect.Existing, true);
            case DbOperation.Update:
            case DbOperation.Incr when r.Options.NoUpsert:
            {
                // An Incr of the existing row only is an Update that adds to its counters, within the counter guard.
                var incr = r.Operation == DbOperation.Incr;
                var update = UpdateExpression(t, r.Row, incr, e);
                var condition = $"attribute_exists({e.Name(t.Hash)})";
                if (update is null)
                {
                    return new Write(index, new TransactWriteItem
                    {
                        ConditionCheck = new ConditionCheck { TableName = t.Name, Key = key, ConditionExpression = condition, ExpressionAttributeNames = e.Names },
                    }, Expect.Existing, true);
                }
                var guard = incr ? CounterGuard(t, r.Row, e) : null;
                return new Write(index, new TransactWriteItem
                {
                    Update = new Update
                    {
                        TableName = t.Name,
                        Key = key,
                        UpdateExpression = update,
                        ConditionExpression = guard is null ? condition : $"{condition} AND {guard}",
                        ExpressionAttributeNames = e.Names,
                        ExpressionAttributeValues = e.Values,
                        // The old item comes back with a failed condition: present means the guard failed, not the row.
                        ReturnValuesOnConditionCheckFailure = guard is null ? null : ReturnValuesOnConditionCheckFailure.ALL_OLD,
                    },
                }, guard is null ? Expect.Existing : Expect.ExistingInRange, true);
            }
            case DbOperation.Incr or DbOperation.Replace:
            {
                var update = UpdateExpression(t, r.Row, r.Operation == DbOperation.Incr, e);
                if (update is null)
                {
                    return new Write(index, new TransactWriteItem
                    {
                        Put = new Put { TableName = t.Name, Item = key, ConditionExpression = $"attribute_not_exists({e.Name(t.Hash)})", ExpressionAttributeNames = e.Names },
                    }, Expect.Create, true);
                }
                var guard = r.Operation == DbOperation.Incr ? CounterGuard(t, r.Row, e) : null;
                return new Write(index, new TransactWriteItem
                {
                    Update = new Update
                    {
                        TableName = t.Name,
                        Key = key,
                        UpdateExpression = update,
                        ConditionExpression = guard,
                        ExpressionAttributeNames = e.Names,
                        ExpressionAttributeValues = e.Values,
                    },
                }, guard is null ? Expect.None : Expect.InRange, true);
            }
            default:
                throw new DbException(DbErrorKind.BadInput, $"batch cannot {r.Operation}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pool}: the endpoint has no TransactWriteItems (an emulator?); batches run their writes one by one, not atomically")]
    private static partial void LogNoTransactions(ILogger logger, string pool);
}
