using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using Backend.Data;

namespace Backend.DynamoDb;

internal sealed partial class DynamoDbDriver
{
    private static readonly IReadOnlySet<string> NoIndexes = new HashSet<string>();

    /// <summary>The plan of a read (<see cref="DynamoDbQueryPlanner"/>); the state of the table's indexes is read only
    /// when the plan depends on it.</summary>
    private async Task<DynamoDbQueryPlan> PlanAsync(DynamoDbTable t, IReadOnlyList<DbCondition> conditions, DbNativeQuery? native, CancellationToken ct)
    {
        var active = DynamoDbQueryPlanner.NeedsActiveIndexes(t, conditions) ? await ActiveIndexesAsync(t, ct) : NoIndexes;
        return new DynamoDbQueryPlanner(t, active).Plan(conditions, native);
    }

    /// <summary>Select and Search. A Query of the table ordered by its key (no sort, or sort on a key column) pages
    /// natively: DynamoDB returns range key order, ExclusiveStartKey is the token's row, and reading stops once
    /// count + 1 rows matched (Limit applies before the filter, so several requests may be needed). Anything else
    /// — a Scan, an index Query, a sort on another column — has no usable native order: every matching row is read
    /// (all pages) and the page is chosen in memory by the same keyset rule as SQL (rows after the token's ordering
    /// values, first count + 1 of them kept in a bounded heap). That costs a full read of the matching rows per
    /// page: a Scan reads the whole table each time.</summary>
    private async Task<DbResult> SelectAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var o = r.Options;
        var plan = await PlanAsync(t, r.Conditions, r.Native, ct);
        var order = r.Table.OrderColumns(o);
        var token = string.IsNullOrEmpty(o.Start) ? null : DecodeToken(o.Start, order);
        int? limit = o.Count is int n ? n + 1 : null;
        if (plan.Read == DynamoDbRead.Nothing) return SelectPaging.Page([], order, o.Count, o.Select);

        var known = Known(r.Table, o.Select);
        List<string>? columns = null;
        if (o.Select is not null)
            columns = [.. (known ?? []).Concat(order.Select(c => c.Name)).Concat(plan.Memory.Select(c => c.Column)).Distinct(StringComparer.Ordinal)];

        var rows = plan.InKeyOrder(o.Sort)
            ? await ReadInKeyOrderAsync(plan, columns, token, order, o.Desc, limit, ct)
            : await ReadSortedAsync(plan, columns, token, order, o.Desc, limit, ct);

        if (columns is not null)
        {
            // Drop the columns read only to check a condition in memory (the ordering ones are dropped by Page).
            var keep = new HashSet<string>((known ?? []).Concat(order.Select(c => c.Name)), StringComparer.Ordinal);
            foreach (var row in rows)
                foreach (var c in plan.Memory)
                    if (!keep.Contains(c.Column)) row.Remove(c.Column);
        }
        return SelectPaging.Page(rows, order, o.Count, o.Select);
    }

    /// <summary>Native paging over a table Query: the token is the last row's key (as the keyset token of the SQL
    /// drivers, which order by the key too), used as ExclusiveStartKey.</summary>
    private async Task<List<DbRow>> ReadInKeyOrderAsync(DynamoDbQueryPlan plan, List<string>? columns, IReadOnlyList<object?>? token, IReadOnlyList<ColumnSchema> order, bool desc, int? limit, CancellationToken ct)
    {
        var t = plan.Table;
        Dictionary<string, AttributeValue>? start = null;
        if (token is not null)
        {
            start = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
            for (var i = 0; i < order.Count; i++)
                start[order[i].Name] = t.Encode(order[i].Name, token[i]) ?? throw new DbException(DbErrorKind.BadInput, "invalid paging token");
            // A token of another query would be refused by DynamoDB; say so in the facade's words.
            if (ValueOrder.Compare(token[order.ToList().FindIndex(c => c.Name == t.Hash)], plan.HashValue) != 0) throw new DbException(DbErrorKind.BadInput, "invalid paging token");
        }
        var rows = new List<DbRow>();
        var exact = plan.Filter is null && plan.Memory.Count == 0;
        var projection = plan.Expressions.Projection(columns);
        do
        {
            Interlocked.Increment(ref TableQueries);
            var res = await _client.QueryAsync(new QueryRequest
            {
                TableName = t.Name,
                KeyConditionExpression = plan.KeyCondition,
                FilterExpression = plan.Filter,
                ProjectionExpression = projection,
                ExpressionAttributeNames = plan.Expressions.Names,
                ExpressionAttributeValues = plan.Expressions.Values,
                ConsistentRead = true,
                ScanIndexForward = !desc,
                ExclusiveStartKey = start,
                // Limit counts items read, before the filter: only exact when nothing is filtered.
                Limit = exact && limit is int l ? l - rows.Count : null,
            }, ct);
            foreach (var item in res.Items ?? [])
            {
                var row = t.Decode(item);
                if (plan.Matches(row)) rows.Add(row);
            }
            start = res.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null && (limit is null || rows.Count < limit));
        if (limit is int max && rows.Count > max) rows.RemoveRange(max, rows.Count - max);
        return rows;
    }

    /// <summary>Reads every matching row and keeps, in memory, the first <paramref name="limit"/> after the token in SQL order.</summary>
    private async Task<List<DbRow>> ReadSortedAsync(DynamoDbQueryPlan plan, List<string>? columns, IReadOnlyList<object?>? token, IReadOnlyList<ColumnSchema> order, bool desc, int? limit, CancellationToken ct)
    {
        var comparer = Comparer<DbRow>.Create((a, b) => ValueOrder.CompareRows(a, b, order, desc));
        var reverse = Comparer<DbRow>.Create((a, b) => comparer.Compare(b, a));
        // A max-heap of the best rows so far: memory stays at count + 1 rows however many match.
        var heap = new PriorityQueue<DbRow, DbRow>(reverse);
        var all = new List<DbRow>();
        await foreach (var row in ReadAllAsync(plan, columns, ct))
        {
            if (token is not null && !ValueOrder.IsAfter(row, order, token, desc)) continue;
            if (limit is not int l)
            {
                all.Add(row);
            }
            else if (heap.Count < l)
            {
                heap.Enqueue(row, row);
            }
            else if (l > 0 && comparer.Compare(row, heap.Peek()) < 0)
            {
                heap.DequeueEnqueue(row, row);
            }
        }
        if (limit is not null) all.AddRange(heap.UnorderedItems.Select(x => x.Element));
        all.Sort(comparer);
        return all;
    }

    /// <summary>Every row the plan matches, page by page (Query or Scan, filter applied by DynamoDB and in memory).</summary>
    private async IAsyncEnumerable<DbRow> ReadAllAsync(DynamoDbQueryPlan plan, List<string>? columns, [EnumeratorCancellation] CancellationToken ct)
    {
        if (plan.Read == DynamoDbRead.Nothing) yield break;
        var t = plan.Table;
        var projection = plan.Expressions.Projection(columns);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            List<Dictionary<string, AttributeValue>>? items;
            if (plan.IsQuery)
            {
                Interlocked.Increment(ref plan.Read == DynamoDbRead.TableQuery ? ref TableQueries : ref IndexQueries);
                var res = await _client.QueryAsync(new QueryRequest
                {
                    TableName = t.Name,
                    IndexName = plan.Index?.Name,
                    KeyConditionExpression = plan.KeyCondition,
                    FilterExpression = plan.Filter,
                    ProjectionExpression = projection,
                    ExpressionAttributeNames = plan.Expressions.Names,
                    ExpressionAttributeValues = plan.Expressions.Values,
                    // Global secondary indexes only offer eventually consistent reads.
                    ConsistentRead = plan.Index is null,
                    ExclusiveStartKey = start,
                }, ct);
                items = res.Items;
                start = res.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            }
            else
            {
                Interlocked.Increment(ref Scans);
                var res = await _client.ScanAsync(new ScanRequest
                {
                    TableName = t.Name,
                    FilterExpression = plan.Filter,
                    ProjectionExpression = projection,
                    ExpressionAttributeNames = plan.Expressions.Names,
                    ExpressionAttributeValues = plan.Expressions.Values,
                    ConsistentRead = true,
                    ExclusiveStartKey = start,
                }, ct);
                items = res.Items;
                start = res.LastEvaluatedKey is { Count: > 0 } last ? last : null;
            }
            foreach (var item in items ?? [])
            {
                var row = t.Decode(item);
                if (plan.Matches(row)) yield return row;
            }
        }
        while (start is not null);
    }

    /// <summary>Decodes a paging token made by <see cref="SelectPaging.Page"/>, with the core's checks.</summary>
    internal static IReadOnlyList<object?> DecodeToken(string token, IReadOnlyList<ColumnSchema> columns) => PagingToken.Decode(token, columns);

    /// <summary>The keys (and any columns needed) of every row matching the conditions, for UpdateAll and DelAll.</summary>
    private async Task<List<DbRow>> MatchingKeysAsync(DynamoDbTable t, IReadOnlyList<DbCondition> conditions, CancellationToken ct)
    {
        var plan = await PlanAsync(t, conditions, null, ct);
        if (plan.Read == DynamoDbRead.Nothing) return [];
        var columns = t.Schema.PrimaryKeys.Concat(plan.Memory.Select(c => c.Column)).Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<DbRow>();
        await foreach (var row in ReadAllAsync(plan, columns, ct)) rows.Add(row);
        return rows;
    }

    /// <summary>UpdateAll: the matching keys (all pages), then one conditional UpdateItem per row, 8 at a time.
    /// Not atomic: a failure part way leaves the rows before it updated. Rows deleted meanwhile are not re-created.</summary>
    private async Task<DbResult> UpdateAllAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        if (!r.Row.Keys.Any(k => t.Schema.Column(k) is { Primary: 0 })) throw new DbException(DbErrorKind.BadInput, $"{t.Name}: nothing to update");
        var rows = await MatchingKeysAsync(t, r.Conditions, ct);
        var affected = 0;
        await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (row, c) =>
        {
            if (await UpdateExistingAsync(t, t.Key(row), r.Row, c)) Interlocked.Increment(ref affected);
        });
        return new DbResult { Affected = affected };
    }

    /// <summary>DelAll: the matching keys (all pages), then BatchWriteItem deletes of 25. Not atomic.</summary>
    private async Task<DbResult> DelAllAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var rows = await MatchingKeysAsync(t, r.Conditions, ct);
        foreach (var chunk in rows.Chunk(25))
        {
            var writes = chunk.Select(row => new WriteRequest { DeleteRequest = new DeleteRequest { Key = t.Key(row) } }).ToList();
            await BatchWriteAsync(new Dictionary<string, List<WriteRequest>>(StringComparer.Ordinal) { [t.Name] = writes }, ct);
        }
        return new DbResult { Affected = rows.Count };
    }

    /// <summary>BatchWriteItem, sending unprocessed items again with a growing delay (throttling); 503 when they never go through.</summary>
    private async Task BatchWriteAsync(Dictionary<string, List<WriteRequest>> items, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var res = await _client.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = items }, ct);
            if (res.UnprocessedItems is not { Count: > 0 } left || left.All(kv => kv.Value is not { Count: > 0 })) return;
            if (attempt >= 8) throw new DbException(DbErrorKind.Unavailable, $"{Name}: dynamodb is throttling requests, try again");
            items = left;
            await Task.Delay(Backoff(attempt), ct);
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Random.Shared.Next(25, 50) * (1 << Math.Min(attempt, 6)));

    /// <summary>List: BatchGetItem in chunks of 100 keys (duplicates asked once), consistent reads, unprocessed keys
    /// sent again with backoff. Rows come back ordered by primary key, like the SQL drivers' IN lookup.</summary>
    private async Task<DbResult> ListAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var known = Known(r.Table, r.Options.Select);
        var keys = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        foreach (var k in r.Keys)
        {
            var key = t.Key(k);
            keys.TryAdd(string.Join("\u0001", t.Schema.PrimaryKeys.Select(p => key[p].N ?? "s" + key[p].S)), key);
        }
        var rows = new List<DbRow>();
        foreach (var chunk in keys.Values.Chunk(100))
        {
            var e = new Expressions();
            var projection = e.Projection(known?.Concat(t.Schema.PrimaryKeys));
            var request = new Dictionary<string, KeysAndAttributes>(StringComparer.Ordinal)
            {
                [t.Name] = new KeysAndAttributes { Keys = [.. chunk], ConsistentRead = true, ProjectionExpression = projection, ExpressionAttributeNames = e.Names },
            };
            for (var attempt = 0; ; attempt++)
            {
                var res = await _client.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request }, ct);
                if (res.Responses?.GetValueOrDefault(t.Name) is { } items) rows.AddRange(items.Select(t.Decode));
                if (res.UnprocessedKeys?.GetValueOrDefault(t.Name) is not { Keys.Count: > 0 } left) break;
                if (attempt >= 8) throw new DbException(DbErrorKind.Unavailable, $"{Name}: dynamodb is throttling requests, try again");
                request = new Dictionary<string, KeysAndAttributes>(StringComparer.Ordinal) { [t.Name] = left };
                await Task.Delay(Backoff(attempt), ct);
            }
        }
        var order = t.Schema.PrimaryKeys.Select(t.Column).ToList();
        rows.Sort((a, b) => ValueOrder.CompareRows(a, b, order, desc: false));
        if (known is not null)
        {
            foreach (var row in rows)
                foreach (var p in t.Schema.PrimaryKeys)
                    if (!known.Contains(p)) row.Remove(p);
        }
        return new DbResult { Rows = rows };
    }
}
