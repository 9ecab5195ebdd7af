using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.DynamoDb;

internal sealed partial class DynamoDbDriver
{
    /// <summary>Creates missing tables (on-demand capacity, with all their indexes) and adds missing global secondary
    /// indexes to existing ones, one at a time (DynamoDB builds one online index per table at a time), waiting each
    /// time until it is ACTIVE; an index that another process is still creating is waited for too. New columns need
    /// nothing. A table with more than two primary key columns is a <see cref="Backend.Configuration.ConfigException"/>.</summary>
    public async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // Check every description first, so a bad one fails before anything is created.
        var list = tables.Select(DynamoDbTable.For).ToList();
        foreach (var t in list)
        {
            try
            {
                await InitTableAsync(t, cancellationToken);
            }
            catch (Exception ex) when (Map(ex, $"{Name}: cannot initialise table {t.Name}", cancellationToken) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    private async Task InitTableAsync(DynamoDbTable t, CancellationToken ct)
    {
        var table = await DescribeAsync(t.Name, ct);
        if (table is null)
        {
            try
            {
                await _client.CreateTableAsync(new CreateTableRequest
                {
                    TableName = t.Name,
                    KeySchema = t.KeySchema(),
                    AttributeDefinitions = t.Definitions(t.Indexes),
                    BillingMode = BillingMode.PAY_PER_REQUEST,
                    GlobalSecondaryIndexes = t.Indexes.Count == 0 ? null : [.. t.Indexes.Select(Gsi)],
                }, ct);
                LogTableCreated(_logger, Name, t.Name);
            }
            catch (ResourceInUseException)
            {
                // Another process created it meanwhile.
            }
            table = await WaitActiveAsync(t.Name, null, ct);
        }
        else if (table.TableStatus != TableStatus.ACTIVE)
        {
            table = await WaitActiveAsync(t.Name, null, ct);
        }

        var hash = table.KeySchema?.FirstOrDefault(k => k.KeyType == KeyType.HASH)?.AttributeName;
        var range = table.KeySchema?.FirstOrDefault(k => k.KeyType == KeyType.RANGE)?.AttributeName;
        if (hash != t.Hash || range != t.Range)
        {
            throw new DbException(DbErrorKind.Failed, $"{Name}: table {t.Name} exists with key ({string.Join(", ", new[] { hash, range }.OfType<string>())}) " +
                $"but is described with key ({string.Join(", ", t.Schema.PrimaryKeys)}); DynamoDB cannot change a table's key");
        }

        foreach (var index in t.Indexes)
        {
            var existing = table.GlobalSecondaryIndexes?.FirstOrDefault(g => g.IndexName == index.Name);
            if (existing is null)
            {
                table = await CreateIndexAsync(t, index, ct) ?? table;
            }
            else if (existing.IndexStatus != IndexStatus.ACTIVE || existing.Backfilling == true)
            {
                // Another process is adding it: wait as that process does, else this one would scan until restarted.
                LogIndexWaiting(_logger, Name, t.Name, index.Name, existing.IndexStatus?.Value ?? "");
                table = await WaitActiveAsync(t.Name, index.Name, ct);
            }
        }
        _activeIndexes[t.Name] = ActiveIndexes(table);
    }

    private static GlobalSecondaryIndex Gsi(GlobalIndex i) => new()
    {
        IndexName = i.Name,
        KeySchema = DynamoDbTable.Keys(i.Hash, i.Range),
        Projection = new Projection { ProjectionType = ProjectionType.ALL },
    };

    private static HashSet<string> ActiveIndexes(TableDescription table) =>
        [.. (table.GlobalSecondaryIndexes ?? []).Where(g => g.IndexStatus == IndexStatus.ACTIVE && g.Backfilling != true).Select(g => g.IndexName)];

    /// <summary>The active indexes of a table, read once when the table was not initialised by this driver.</summary>
    private async Task<IReadOnlySet<string>> ActiveIndexesAsync(DynamoDbTable t, CancellationToken ct)
    {
        if (t.Indexes.Count == 0) return new HashSet<string>();
        if (_activeIndexes.TryGetValue(t.Name, out var set)) return set;
        var table = await DescribeAsync(t.Name, ct);
        return _activeIndexes[t.Name] = table is null ? new HashSet<string>() : ActiveIndexes(table);
    }

    /// <summary>Adds one index and waits until it is ACTIVE. Returns the table description, or null when the endpoint
    /// accepted the request but did not add the index (dynalite validates index creation and ignores it); Select then
    /// scans instead of querying the index.</summary>
    private async Task<TableDescription?> CreateIndexAsync(DynamoDbTable t, GlobalIndex index, CancellationToken ct)
    {
        var request = new UpdateTableRequest
        {
            TableName = t.Name,
            AttributeDefinitions = t.Definitions([index]),
            GlobalSecondaryIndexUpdates =
            [
                new GlobalSecondaryIndexUpdate
                {
                    Create = new CreateGlobalSecondaryIndexAction
                    {
                        IndexName = index.Name,
                        KeySchema = DynamoDbTable.Keys(index.Hash, index.Range),
                        Projection = new Projection { ProjectionType = ProjectionType.ALL },
                    },
                },
            ],
        };
        UpdateTableResponse response;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                response = await _client.UpdateTableAsync(request, ct);
                break;
            }
            catch (AmazonDynamoDBException ex) when (ex.ErrorCode == "ValidationException" && ex.Message.Contains("provisionedThroughput", StringComparison.OrdinalIgnoreCase)
                && request.GlobalSecondaryIndexUpdates[0].Create.ProvisionedThroughput is null)
            {
                // Emulators that insist on a throughput even for on-demand tables.
                request.GlobalSecondaryIndexUpdates[0].Create.ProvisionedThroughput = new ProvisionedThroughput(5, 5);
            }
            catch (Exception ex) when (attempt < 60 && ex is ResourceInUseException or LimitExceededException)
            {
                // The table is busy (another process adding an index): wait for it, then try again.
                await WaitActiveAsync(t.Name, null, ct);
                var now = await DescribeAsync(t.Name, ct);
                if (now?.GlobalSecondaryIndexes?.Any(g => g.IndexName == index.Name) == true) return await WaitActiveAsync(t.Name, index.Name, ct);
            }
        }
        if (response.TableDescription?.GlobalSecondaryIndexes?.Any(g => g.IndexName == index.Name) != true)
        {
            var now = await DescribeAsync(t.Name, ct);
            if (now?.GlobalSecondaryIndexes?.Any(g => g.IndexName == index.Name) != true)
            {
                LogIndexIgnored(_logger, Name, t.Name, index.Name);
                return null;
            }
        }
        LogIndexCreating(_logger, Name, t.Name, index.Name);
        return await WaitActiveAsync(t.Name, index.Name, ct);
    }

    private async Task<TableDescription?> DescribeAsync(string table, CancellationToken ct)
    {
        try
        {
            return (await _client.DescribeTableAsync(new DescribeTableRequest { TableName = table }, ct)).Table;
        }
        catch (ResourceNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Polls until the table (and the index, when given) is ACTIVE; index builds on big tables take minutes.</summary>
    private async Task<TableDescription> WaitActiveAsync(string table, string? index, CancellationToken ct)
    {
        var delay = 50;
        var started = DateTime.UtcNow;
        var logged = started;
        while (true)
        {
            var d = await DescribeAsync(table, ct);
            if (d is not null && d.TableStatus == TableStatus.ACTIVE)
            {
                if (index is null) return d;
                var g = d.GlobalSecondaryIndexes?.FirstOrDefault(x => x.IndexName == index);
                if (g is null || g.IndexStatus == IndexStatus.ACTIVE && g.Backfilling != true) return d;
            }
            if (DateTime.UtcNow - logged > TimeSpan.FromSeconds(30))
            {
                logged = DateTime.UtcNow;
                LogWaiting(_logger, Name, table, index ?? "", (int)(logged - started).TotalSeconds);
            }
            await Task.Delay(delay, ct);
            delay = Math.Min(delay * 2, 2000);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pool}: created table {Table}")]
    private static partial void LogTableCreated(ILogger logger, string pool, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pool}: creating index {Index} on {Table}")]
    private static partial void LogIndexCreating(ILogger logger, string pool, string table, string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pool}: index {Index} on {Table} is {Status}, waiting until it is active")]
    private static partial void LogIndexWaiting(ILogger logger, string pool, string table, string index, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pool}: the endpoint did not create index {Index} on {Table} (an emulator?); selects by its columns scan the table")]
    private static partial void LogIndexIgnored(ILogger logger, string pool, string table, string index);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pool}: waiting for {Table} {Index} to become active ({Seconds} s)")]
    private static partial void LogWaiting(ILogger logger, string pool, string table, string index, int seconds);
}
