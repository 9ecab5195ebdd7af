using System.Collections.Concurrent;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.DynamoDb;

/// <summary>The DynamoDB driver (AWSSDK.DynamoDBv2). Primary keys are the table's hash (+ range) key, indexes are
/// global secondary indexes, and every operation keeps the meaning it has on the SQL drivers: Update never
/// creates a row, Add is 409 on an existing key, NULL is an absent attribute, and Select returns the same rows in
/// the same order with the same keyset paging tokens. See the README next to this file for the mapping and the
/// cost of each operation.
/// <para>A call is bounded by the pool's time limit (<c>-db-dynamodb-timeout</c>) as a whole, across every request it
/// makes (a Scan reads page after page): its token is the caller's linked with a timer, which the SDK honours by
/// abandoning the HTTP request and the driver by making no further request; past the limit the call is a
/// <see cref="DbTimeout"/> 504. DynamoDB itself has nothing to cancel: each request ends on the service side within
/// its 1 MB page anyway.</para></summary>
internal sealed partial class DynamoDbDriver : IDbDriver
{
    private readonly IAmazonDynamoDB _client;
    private readonly ILogger _logger;
    private readonly int _timeoutMs;

    /// <summary>Active global secondary indexes per table (absent: not known yet, read on first use).</summary>
    private readonly ConcurrentDictionary<string, IReadOnlySet<string>> _activeIndexes = new(StringComparer.Ordinal);

    /// <summary>Creates the driver over a client, with the default time limit of 30 s per call; the driver owns and
    /// disposes the client.</summary>
    public DynamoDbDriver(string name, IAmazonDynamoDB client, ILogger<DynamoDbDriver> logger)
        : this(name, client, DefaultTimeoutMs, logger)
    {
    }

    /// <summary>Creates the driver over a client; a call is stopped after <paramref name="timeoutMs"/>. The driver owns
    /// and disposes the client.</summary>
    public DynamoDbDriver(string name, IAmazonDynamoDB client, int timeoutMs, ILogger<DynamoDbDriver> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        Name = name;
        _client = client;
        _logger = logger;
        _timeoutMs = timeoutMs;
    }

    /// <summary>The time limit of a call when none is given (the default of <c>-db-timeout</c>).</summary>
    public const int DefaultTimeoutMs = 30_000;

    /// <summary>The time limit of a call, in milliseconds.</summary>
    public int TimeoutMs => _timeoutMs;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public DbQuerySyntax QuerySyntax => DbQuerySyntax.FilterExpression;

    /// <summary>The SDK client.</summary>
    public IAmazonDynamoDB Client => _client;

    /// <summary>How selects read, for tests: table queries, index queries and scans issued (one per request page).</summary>
    internal long TableQueries, IndexQueries, Scans;

    /// <inheritdoc />
    public async Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // One linked source and timer per call: small beside the SDK's own cost of a request (signing, HTTP).
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_timeoutMs);
        var ct = limit.Token;
        try
        {
            return request.Operation switch
            {
                DbOperation.Get => await GetAsync(request, ct),
                DbOperation.Add => await PutAsync(request, add: true, ct),
                DbOperation.Put => await PutAsync(request, add: false, ct),
                DbOperation.Update => await UpdateAsync(request, ct),
                DbOperation.Incr or DbOperation.Replace => await UpsertAsync(request, ct),
                DbOperation.Del => await DeleteAsync(request, ct),
                DbOperation.Select or DbOperation.Search => await SelectAsync(request, ct),
                DbOperation.List => await ListAsync(request, ct),
                DbOperation.UpdateAll => await UpdateAllAsync(request, ct),
                DbOperation.DelAll => await DelAllAsync(request, ct),
                DbOperation.Batch => await BatchAsync(request, ct),
                DbOperation.Query => throw new DbException(DbErrorKind.NotSupported, "query is not supported by the dynamodb driver: use search with a filter expression"),
                _ => throw new DbException(DbErrorKind.NotSupported, $"{request.Operation} is not supported by the dynamodb driver"),
            };
        }
        catch (Exception ex) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested && ex is not DbException)
        {
            // The SDK gives up on the request in flight when the token fires (an OperationCanceledException, or its
            // own error around it): past the time limit, whatever it threw.
            throw DbTimeout.Exceeded(_logger, Name, request, _timeoutMs, ex);
        }
        catch (Exception ex) when (Map(ex, $"{Name}: {request.Operation} {request.Table.Name}", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task<DbResult> GetAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var e = new Expressions();
        var projection = e.Projection(Known(r.Table, r.Options.Select));
        var res = await _client.GetItemAsync(new GetItemRequest
        {
            TableName = t.Name,
            Key = t.Key(r.Row),
            ConsistentRead = true,
            ProjectionExpression = projection,
            ExpressionAttributeNames = e.Names,
        }, ct);
        return res.Item is { Count: > 0 } item ? new DbResult { Rows = [t.Decode(item)] } : new DbResult();
    }

    /// <summary>The selected columns the table has, or null (whole rows) when none is.</summary>
    private static List<string>? Known(TableSchema table, IReadOnlyList<string>? select) =>
        select?.Where(table.HasColumn).Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } known ? known : null;

    /// <summary>The item of a row: every non-NULL value of a known column.</summary>
    private static Dictionary<string, AttributeValue> Item(DynamoDbTable t, DbRow row)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (name, value) in row)
        {
            if (!t.Schema.HasColumn(name)) continue;
            if (t.Encode(name, value) is { } a) item[name] = a;
        }
        return item;
    }

    private async Task<DbResult> PutAsync(DbRequest r, bool add, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var e = new Expressions();
        var request = new PutItemRequest { TableName = t.Name, Item = Item(t, r.Row) };
        if (add) request.ConditionExpression = $"attribute_not_exists({e.Name(t.Hash)})";
        request.ExpressionAttributeNames = e.Names;
        try
        {
            await _client.PutItemAsync(request, ct);
        }
        catch (ConditionalCheckFailedException ex)
        {
            throw Conflict(t, ex);
        }
        return new DbResult { Affected = 1 };
    }

    private static DbException Conflict(DynamoDbTable t, Exception? inner) => new(DbErrorKind.Conflict, $"{t.Name}: a record with this key already exists", inner);

    /// <summary>SET for given values, REMOVE for NULLs, ADD for counters when incrementing; null when there is nothing to change.</summary>
    private static string? UpdateExpression(DynamoDbTable t, DbRow row, bool incr, Expressions e)
    {
        var sets = new List<string>();
        var removes = new List<string>();
        var adds = new List<string>();
        foreach (var (name, value) in row)
        {
            if (t.Schema.Column(name) is not { Primary: 0 } column) continue;
            if (incr && column.Type == ColumnType.Counter)
            {
                if (t.Encode(name, value) is { } a) adds.Add($"{e.Name(name)} {e.Value(a)}");
            }
            else if (t.Encode(name, value) is { } a)
            {
                sets.Add($"{e.Name(name)} = {e.Value(a)}");
            }
            else
            {
                removes.Add(e.Name(name));
            }
        }
        var parts = new List<string>();
        if (sets.Count > 0) parts.Add("SET " + string.Join(", ", sets));
        if (removes.Count > 0) parts.Add("REMOVE " + string.Join(", ", removes));
        if (adds.Count > 0) parts.Add("ADD " + string.Join(", ", adds));
        return parts.Count > 0 ? string.Join(" ", parts) : null;
    }

    /// <summary>Update: only an existing row changes (a condition on the key), so a missing one is 0 affected and not created.</summary>
    private async Task<DbResult> UpdateAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        return new DbResult { Affected = await UpdateExistingAsync(t, t.Key(r.Row), r.Row, ct) ? 1 : 0 };
    }

    private async Task<bool> UpdateExistingAsync(DynamoDbTable t, Dictionary<string, AttributeValue> key, DbRow values, CancellationToken ct)
    {
        var e = new Expressions();
        var update = UpdateExpression(t, values, incr: false, e);
        // Nothing to change: report whether the row exists, as a no-op SQL update does.
        if (update is null) return await ExistsAsync(t, key, ct);
        try
        {
            await _client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = t.Name,
                Key = key,
                UpdateExpression = update,
                ConditionExpression = $"attribute_exists({e.Name(t.Hash)})",
                ExpressionAttributeNames = e.Names,
                ExpressionAttributeValues = e.Values,
            }, ct);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Incr (ADD to counters, SET the rest) and Replace (SET): one atomic UpdateItem that creates the row
    /// when missing. With only the key given, the row is created when missing (1) and left alone otherwise (0).</summary>
    private async Task<DbResult> UpsertAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var e = new Expressions();
        var update = UpdateExpression(t, r.Row, r.Operation == DbOperation.Incr, e);
        if (r.Operation == DbOperation.Incr && r.Options.NoUpsert) return await IncrExistingAsync(r, t, e, update, ct);
        if (update is null)
        {
            try
            {
                await _client.PutItemAsync(new PutItemRequest
                {
                    TableName = t.Name,
                    Item = t.Key(r.Row),
                    ConditionExpression = $"attribute_not_exists({e.Name(t.Hash)})",
                    ExpressionAttributeNames = e.Names,
                }, ct);
                return new DbResult { Affected = 1 };
            }
            catch (ConditionalCheckFailedException)
            {
                return new DbResult { Affected = 0 };
            }
        }
        var guard = r.Operation == DbOperation.Incr ? CounterGuard(t, r.Row, e) : null;
        try
        {
            await _client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = t.Name,
                Key = t.Key(r.Row),
                UpdateExpression = update,
                ConditionExpression = guard,
                ExpressionAttributeNames = e.Names,
                ExpressionAttributeValues = e.Values,
            }, ct);
        }
        catch (ConditionalCheckFailedException ex) when (guard is not null)
        {
            throw new DbException(DbErrorKind.BadInput, $"{t.Name}: counter out of range", ex);
        }
        return new DbResult { Affected = 1 };
    }

    /// <summary>An Incr of the existing row only (<see cref="DbOptions.NoUpsert"/>): one UpdateItem conditional on the
    /// row existing (and on the counter guard), so a Del racing it is never undone. A failed condition is told apart
    /// afterwards: a row that exists failed the guard (400), a missing one is 0 affected.</summary>
    private async Task<DbResult> IncrExistingAsync(DbRequest r, DynamoDbTable t, Expressions e, string? update, CancellationToken ct)
    {
        if (update is null) return new DbResult { Affected = await ExistsAsync(t, t.Key(r.Row), ct) ? 1 : 0 };
        var guard = CounterGuard(t, r.Row, e);
        var exists = $"attribute_exists({e.Name(t.Hash)})";
        try
        {
            await _client.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = t.Name,
                Key = t.Key(r.Row),
                UpdateExpression = update,
                ConditionExpression = guard is null ? exists : $"{exists} AND {guard}",
                ExpressionAttributeNames = e.Names,
                ExpressionAttributeValues = e.Values,
            }, ct);
            return new DbResult { Affected = 1 };
        }
        catch (ConditionalCheckFailedException ex)
        {
            if (guard is not null && await ExistsAsync(t, t.Key(r.Row), ct)) throw new DbException(DbErrorKind.BadInput, $"{t.Name}: counter out of range", ex);
            return new DbResult { Affected = 0 };
        }
    }

    /// <summary>Whether the row of the key exists (a consistent read of its hash key only).</summary>
    private async Task<bool> ExistsAsync(DynamoDbTable t, Dictionary<string, AttributeValue> key, CancellationToken ct)
    {
        var e = new Expressions();
        var res = await _client.GetItemAsync(new GetItemRequest
        {
            TableName = t.Name,
            Key = key,
            ConsistentRead = true,
            ProjectionExpression = e.Projection([t.Hash]),
            ExpressionAttributeNames = e.Names,
        }, ct);
        return res.Item is { Count: > 0 };
    }

    /// <summary>DynamoDB numbers hold 38 digits, so ADD would happily pass long.MaxValue; every driver instead refuses
    /// (400) and keeps the counter: the condition allows the ADD only while the sum stays a long.</summary>
    private static string? CounterGuard(DynamoDbTable t, DbRow row, Expressions e)
    {
        var parts = new List<string>();
        foreach (var (name, value) in row)
        {
            if (t.Schema.Column(name) is not { Primary: 0, Type: ColumnType.Counter } || DbValues.ToLong(value) is not long delta || delta == 0) continue;
            var limit = delta > 0 ? long.MaxValue - delta : long.MinValue - delta;
            var n = e.Name(name);
            var v = e.Value(new AttributeValue { N = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            parts.Add($"(attribute_not_exists({n}) OR {n} {(delta > 0 ? "<=" : ">=")} {v})");
        }
        return parts.Count > 0 ? string.Join(" AND ", parts) : null;
    }

    private async Task<DbResult> DeleteAsync(DbRequest r, CancellationToken ct)
    {
        var t = DynamoDbTable.For(r.Table);
        var e = new Expressions();
        try
        {
            await _client.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = t.Name,
                Key = t.Key(r.Row),
                ConditionExpression = $"attribute_exists({e.Name(t.Hash)})",
                ExpressionAttributeNames = e.Names,
            }, ct);
            return new DbResult { Affected = 1 };
        }
        catch (ConditionalCheckFailedException)
        {
            return new DbResult { Affected = 0 };
        }
    }

    /// <summary>Maps SDK and network failures to <see cref="DbException"/>s; null leaves the exception as it is.</summary>
    internal static DbException? Map(Exception ex, string what, CancellationToken ct)
    {
        switch (ex)
        {
            case DbException:
                return null;
            case OperationCanceledException when ct.IsCancellationRequested:
                return null;
            case ConditionalCheckFailedException:
                return new DbException(DbErrorKind.Conflict, $"{what}: a record with this key already exists", ex);
            case ProvisionedThroughputExceededException or ThrottlingException or RequestLimitExceededException or TransactionConflictException or LimitExceededException:
                return new DbException(DbErrorKind.Unavailable, $"{what}: dynamodb is throttling requests, try again", ex);
            case ResourceNotFoundException:
                return new DbException(DbErrorKind.Failed, $"{what}: the table or index does not exist ({ex.Message})", ex);
            case AmazonServiceException s when s.ErrorCode is "ValidationException" or "SerializationException" || s.ErrorCode is null && (int)s.StatusCode == 400 && s.InnerException is null:
                return new DbException(DbErrorKind.BadInput, $"{what}: {s.Message}", ex);
            case AmazonServiceException s when (int)s.StatusCode >= 500 || (int)s.StatusCode == 0 || string.IsNullOrEmpty(s.ErrorCode):
                return new DbException(DbErrorKind.Unavailable, $"{what}: dynamodb is unavailable (HTTP {(int)s.StatusCode} {s.ErrorCode}: {s.Message})", ex);
            case AmazonServiceException s:
                return new DbException(DbErrorKind.Failed, $"{what}: {s.ErrorCode}: {s.Message}", ex);
            case AmazonClientException or HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException:
                return new DbException(DbErrorKind.Unavailable, $"{what}: dynamodb is unavailable ({ex.Message})", ex);
            default:
                return null;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
