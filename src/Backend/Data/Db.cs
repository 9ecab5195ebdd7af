using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Backend.Data;

/// <summary>The database facade: one API for every driver. It validates the table and keys, converts values to
/// the column types (rejecting a wrong type before anything is written), fills defaults and <c>now</c> columns,
/// routes to the pool, and runs the registered row processors on what comes back.</summary>
public sealed class Db(TableRegistry tables, DbPools pools, long cacheSize = 10_000, TimeSpan? cacheTtl = null, TimeProvider? timeProvider = null)
{
    // The wall clock of `now` columns: the app's TimeProvider, so a test can move time.
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private static readonly JsonSerializerOptions TypedOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly ConcurrentDictionary<string, DbRowProcessor[]> _processors = new(StringComparer.Ordinal);

    /// <summary>The described tables.</summary>
    public TableRegistry Tables { get; } = tables;

    /// <summary>The pools.</summary>
    public DbPools Pools { get; } = pools;

    /// <summary>True when both tables live in one pool, so a <c>BatchAsync</c> over them is one atomic unit (a
    /// transaction, or DynamoDB's TransactWriteItems); modules ask this instead of comparing pools.</summary>
    public bool SharePool(string table, string other, string? pool = null) =>
        ReferenceEquals(Pools.Resolve(pool, table), Pools.Resolve(pool, other));

    /// <summary>The language of native search text on the pool of <paramref name="table"/>.</summary>
    public DbQuerySyntax QuerySyntax(string table, string? pool = null) => Pools.Resolve(pool, table).QuerySyntax;

    /// <summary>Creates or upgrades every described table in every pool.</summary>
    public async Task InitAsync(CancellationToken cancellationToken = default)
    {
        foreach (var pool in Pools.All) await pool.InitTablesAsync(Tables.All, cancellationToken);
    }

    /// <summary>The described table, or a 400 error for an undescribed one.</summary>
    public TableSchema Table(string name) => Tables.Get(name) ?? throw DbException.BadInput($"unknown table: {name}");

    /// <summary>Registers a row processor for a table (the reference's <c>db.setProcessRow</c>).</summary>
    public void SetProcessRow(string table, DbRowProcessor processor) =>
        _processors.AddOrUpdate(table, [processor], (_, list) => [.. list, processor]);

    /// <summary>One row by primary key, or null.</summary>
    public ValueTask<DbRow?> GetAsync(string table, object keys, CancellationToken cancellationToken = default) =>
        GetAsync(table, keys, null, cancellationToken);

    /// <summary>One row by primary key, or null.</summary>
    public ValueTask<DbRow?> GetAsync(string table, object keys, DbOptions? options, CancellationToken cancellationToken = default)
    {
        // Not an async method: an in-process driver (SQLite) has usually answered by the time it returns, and then the
        // row is handed back without an async state machine. Errors still come back in the task, as from an async method.
        try
        {
            var request = Prepare(DbOperation.Get, table, keys, options);
            var driver = Pools.Resolve(request.Options.Pool, request.Table.Name);
            if (driver is IInProcessGet inProcess)
            {
                if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DbRow?>(cancellationToken);
                DbRow? row;
                try
                {
                    row = inProcess.Get(request);
                }
                catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
                {
                    return new ValueTask<DbRow?>(AwaitGetAsync(driver, request, Task.FromException<DbResult>(ex), cancellationToken));
                }
                if (row is null) return default;
                Process(request, row);
                return new ValueTask<DbRow?>(row);
            }
            var first = Start(driver, request, cancellationToken);
            return first.IsCompletedSuccessfully ? new ValueTask<DbRow?>(FirstRow(request, first.Result)) : new ValueTask<DbRow?>(AwaitGetAsync(driver, request, first, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<DbRow?>(cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<DbRow?>(ex);
        }
    }

    // Run's retry inlined: the driver's task is awaited here directly, so a Get over the network has one async layer
    // less (Run would wrap it in Retry); a 503 goes on with the same attempts as every other read.
    private async Task<DbRow?> AwaitGetAsync(IDbDriver driver, DbRequest request, Task<DbResult> first, CancellationToken cancellationToken)
    {
        DbResult result;
        try
        {
            result = await first;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
        {
            result = await RetryAfter503(driver, request, cancellationToken);
        }
        return FirstRow(request, result);
    }

    private DbRow? FirstRow(DbRequest request, DbResult result)
    {
        Process(request, result.Rows);
        return result.Rows.Count > 0 ? result.Rows[0] : null;
    }

    /// <summary>One row by primary key as a record (snake_case columns map to PascalCase properties), or default.</summary>
    public ValueTask<T?> GetAsync<T>(string table, object keys, CancellationToken cancellationToken = default) =>
        GetAsync<T>(table, keys, null, cancellationToken);

    /// <summary>One row by primary key as a record (snake_case columns map to PascalCase properties), or default.</summary>
    public async ValueTask<T?> GetAsync<T>(string table, object keys, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var row = await GetAsync(table, keys, options, cancellationToken);
        return row is null ? default : ToRecord<T>(row);
    }

    /// <summary>A page of rows as records (snake_case columns map to PascalCase properties), with its next token.</summary>
    public Task<DbResult<T>> SelectAsync<T>(string table, object? query, CancellationToken cancellationToken = default) =>
        SelectAsync<T>(table, query, null, cancellationToken);

    /// <summary>A page of rows as records (snake_case columns map to PascalCase properties), with its next token.</summary>
    public async Task<DbResult<T>> SelectAsync<T>(string table, object? query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var result = await SelectAsync(table, query, options, cancellationToken);
        return new DbResult<T>([.. result.Rows.Select(ToRecord<T>)], result.NextToken);
    }

    private static T ToRecord<T>(DbRow row)
    {
        var renames = RowReader.Renames(typeof(T));
        if (renames.Count > 0)
        {
            row = new DbRow(row);
            foreach (var (column, property) in renames)
                if (row.Remove(column, out var v)) row[property] = v;
        }
        return JsonSerializer.SerializeToElement(row, TypedOptions).Deserialize<T>(TypedOptions)!;
    }

    /// <summary>Inserts a row; 409 when the key exists.</summary>
    public Task<DbResult> AddAsync(string table, object row, CancellationToken cancellationToken = default) =>
        AddAsync(table, row, null, cancellationToken);

    /// <summary>Inserts a row; 409 when the key exists.</summary>
    public Task<DbResult> AddAsync(string table, object row, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Add, table, row, options, cancellationToken);

    /// <summary>Inserts or replaces the whole row.</summary>
    public Task<DbResult> PutAsync(string table, object row, CancellationToken cancellationToken = default) =>
        PutAsync(table, row, null, cancellationToken);

    /// <summary>Inserts or replaces the whole row.</summary>
    public Task<DbResult> PutAsync(string table, object row, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Put, table, row, options, cancellationToken);

    /// <summary>Updates the given columns of an existing row; <see cref="DbResult.Affected"/> is 0 when it does not exist.</summary>
    public Task<DbResult> UpdateAsync(string table, object row, CancellationToken cancellationToken = default) =>
        UpdateAsync(table, row, null, cancellationToken);

    /// <summary>Updates the given columns of an existing row; <see cref="DbResult.Affected"/> is 0 when it does not exist.</summary>
    public Task<DbResult> UpdateAsync(string table, object row, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Update, table, row, options, cancellationToken);

    /// <summary>Adds the given numbers to counter columns (sets other columns), creating the row when missing.</summary>
    public Task<DbResult> IncrAsync(string table, object row, CancellationToken cancellationToken = default) =>
        IncrAsync(table, row, null, cancellationToken);

    /// <summary>Adds the given numbers to counter columns (sets other columns), creating the row when missing.</summary>
    public Task<DbResult> IncrAsync(string table, object row, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Incr, table, row, options, cancellationToken);

    /// <summary>Deletes by primary key.</summary>
    public Task<DbResult> DelAsync(string table, object keys, CancellationToken cancellationToken = default) =>
        DelAsync(table, keys, null, cancellationToken);

    /// <summary>Deletes by primary key.</summary>
    public Task<DbResult> DelAsync(string table, object keys, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Del, table, keys, options, cancellationToken);

    /// <summary>Rows matching the query's columns (compared with <see cref="DbOptions.Ops"/>), ordered by the sort
    /// column and primary key, at most <see cref="DbOptions.Count"/> per page.</summary>
    public Task<DbResult> SelectAsync(string table, object? query, CancellationToken cancellationToken = default) =>
        SelectAsync(table, query, null, cancellationToken);

    /// <summary>Rows matching the query's columns (compared with <see cref="DbOptions.Ops"/>), ordered by the sort
    /// column and primary key, at most <see cref="DbOptions.Count"/> per page.</summary>
    public async Task<DbResult> SelectAsync(string table, object? query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var request = Prepare(DbOperation.Select, table, query, options);
        var result = await Run(request, cancellationToken);
        Process(request, result.Rows);
        return result;
    }

    /// <summary>Adds the row when missing, else updates only the given columns.</summary>
    public Task<DbResult> ReplaceAsync(string table, object row, CancellationToken cancellationToken = default) =>
        ReplaceAsync(table, row, null, cancellationToken);

    /// <summary>Adds the row when missing, else updates only the given columns.</summary>
    public Task<DbResult> ReplaceAsync(string table, object row, DbOptions? options, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Replace, table, row, options, cancellationToken);

    /// <summary>Updates every row matching the query (at least one condition) with the given values.</summary>
    public Task<DbResult> UpdateAllAsync(string table, object query, object values, CancellationToken cancellationToken = default) =>
        UpdateAllAsync(table, query, values, null, cancellationToken);

    /// <summary>Updates every row matching the query (at least one condition) with the given values.</summary>
    public async Task<DbResult> UpdateAllAsync(string table, object query, object values, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(DbOperation.UpdateAll, table, values, options);
        var request = new DbRequest
        {
            Operation = DbOperation.UpdateAll,
            Table = prepared.Table,
            Row = prepared.Row,
            Options = prepared.Options,
            Conditions = RequireConditions(prepared.Table, query, prepared.Options),
        };
        var result = await Run(request, cancellationToken);
        Invalidate(request, all: true);
        return result;
    }

    /// <summary>Deletes every row matching the query (at least one condition).</summary>
    public Task<DbResult> DelAllAsync(string table, object query, CancellationToken cancellationToken = default) =>
        DelAllAsync(table, query, null, cancellationToken);

    /// <summary>Deletes every row matching the query (at least one condition).</summary>
    public async Task<DbResult> DelAllAsync(string table, object query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var t = Table(table);
        options ??= DbOptions.None;
        var request = new DbRequest { Operation = DbOperation.DelAll, Table = t, Options = options, Conditions = RequireConditions(t, query, options) };
        var result = await Run(request, cancellationToken);
        Invalidate(request, all: true);
        return result;
    }

    /// <summary>The rows of many primary keys at once (missing ones are left out).</summary>
    public Task<DbResult> ListAsync(string table, IEnumerable<object> keys, CancellationToken cancellationToken = default) =>
        ListAsync(table, keys, null, cancellationToken);

    /// <summary>The rows of many primary keys at once (missing ones are left out).</summary>
    public async Task<DbResult> ListAsync(string table, IEnumerable<object> keys, DbOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var t = Table(table);
        options ??= DbOptions.None;
        var list = keys.Select(k => Prepare(DbOperation.Get, table, k, options).Row).ToList();
        if (list.Count == 0) return new DbResult();
        if (list.Count <= ListChunk) return await ListChunkAsync(t, list, options, cancellationToken);
        // Long key lists are read in chunks: every driver has a bound on one statement (SQLite's 32,766 variables,
        // MySQL's and PostgreSQL's 65,535 parameters, DynamoDB's 100 keys per BatchGetItem).
        var rows = new List<DbRow>(list.Count);
        for (var i = 0; i < list.Count; i += ListChunk)
            rows.AddRange((await ListChunkAsync(t, list.GetRange(i, Math.Min(ListChunk, list.Count - i)), options, cancellationToken)).Rows);
        return new DbResult { Rows = rows };
    }

    /// <summary>Keys read by one List request to a driver.</summary>
    internal const int ListChunk = 500;

    private async Task<DbResult> ListChunkAsync(TableSchema t, List<DbRow> keys, DbOptions options, CancellationToken cancellationToken)
    {
        var request = new DbRequest { Operation = DbOperation.List, Table = t, Options = options, Keys = keys };
        var result = await Run(request, cancellationToken);
        Process(request, result.Rows);
        return result;
    }

    /// <summary>Longest pattern of a <c>like</c>, <c>begins_with</c> or <c>contains</c> condition, in characters: longer
    /// patterns are refused with 400 (SQLite fails on LIKE patterns over 50,000 bytes, and matching cost grows with the
    /// pattern on every database).</summary>
    public const int MaxPatternLength = 1024;

    /// <summary>Most values of an <c>in</c> condition: more are refused with 400 (each is a statement parameter, and
    /// databases bound those).</summary>
    public const int MaxInValues = 1000;

    /// <summary>Rows matching a driver-native condition (for SQL drivers a WHERE clause with <c>@name</c> parameters), paged like Select.</summary>
    public Task<DbResult> SearchAsync(string table, DbNativeQuery query, CancellationToken cancellationToken = default) =>
        SearchAsync(table, query, null, cancellationToken);

    /// <summary>Rows matching a driver-native condition (for SQL drivers a WHERE clause with <c>@name</c> parameters), paged like Select.</summary>
    public async Task<DbResult> SearchAsync(string table, DbNativeQuery query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var request = new DbRequest { Operation = DbOperation.Search, Table = Table(table), Options = options ?? DbOptions.None, Native = query };
        var result = await Run(request, cancellationToken);
        Process(request, result.Rows);
        return result;
    }

    /// <summary>A raw driver-native request in the table's pool (for SQL drivers any statement); returned rows are
    /// converted with the table's column types. Not validated: never pass client input as the text.</summary>
    public Task<DbResult> QueryAsync(string table, DbNativeQuery query, CancellationToken cancellationToken = default) =>
        QueryAsync(table, query, null, cancellationToken);

    /// <summary>A raw driver-native request in the table's pool (for SQL drivers any statement); returned rows are
    /// converted with the table's column types. Not validated: never pass client input as the text.</summary>
    public async Task<DbResult> QueryAsync(string table, DbNativeQuery query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var request = new DbRequest { Operation = DbOperation.Query, Table = Table(table), Options = options ?? DbOptions.None, Native = query };
        var result = await Pools.Resolve(request.Options.Pool, table).ExecuteAsync(request, cancellationToken);
        Invalidate(request, all: true);
        return result;
    }

    /// <summary>Every row of the table (or matching the query), streamed page by page (<see cref="DbOptions.Count"/>
    /// rows per page, 100 by default) following the paging tokens.</summary>
    public IAsyncEnumerable<DbRow> ScanAsync(string table, object? query = null, CancellationToken cancellationToken = default) =>
        ScanAsync(table, query, null, cancellationToken);

    /// <summary>Every row of the table (or matching the query), streamed page by page (<see cref="DbOptions.Count"/>
    /// rows per page, 100 by default) following the paging tokens.</summary>
    public async IAsyncEnumerable<DbRow> ScanAsync(string table, object? query, DbOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new DbOptions();
        var page = new DbOptions { Count = options.Count ?? 100, Desc = options.Desc, Sort = options.Sort, Pool = options.Pool, Select = options.Select, NoProcessRows = options.NoProcessRows, Start = options.Start };
        foreach (var (k, v) in options.Ops) page.Ops[k] = v;  // Scan is not a hot path
        while (true)
        {
            var result = await SelectAsync(table, query, page, cancellationToken);
            foreach (var row in result.Rows) yield return row;
            if (result.NextToken.Length == 0) yield break;
            page.Start = result.NextToken;
        }
    }

    /// <summary>Many writes in one call: one transaction on SQL drivers. All items must use the same pool.</summary>
    public Task<DbResult> BatchAsync(IEnumerable<DbBatchItem> items, CancellationToken cancellationToken = default) =>
        BatchAsync(items, null, cancellationToken);

    /// <summary>Many writes in one call: one transaction on SQL drivers. All items must use the same pool.</summary>
    public async Task<DbResult> BatchAsync(IEnumerable<DbBatchItem> items, DbOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        options ??= DbOptions.None;
        var requests = items.Select(i => i.Operation is DbOperation.Add or DbOperation.Put or DbOperation.Update or DbOperation.Incr or DbOperation.Replace or DbOperation.Del
            ? Prepare(i.Operation, i.Table, i.Row, options)
            : throw DbException.BadInput($"batch cannot {i.Operation}")).ToList();
        if (requests.Count == 0) return new DbResult();
        var driver = Pools.Resolve(options.Pool, requests[0].Table.Name);
        if (requests.Any(r => Pools.Resolve(options.Pool, r.Table.Name) != driver)) throw DbException.BadInput("batch items must be in one pool");
        var result = await driver.ExecuteAsync(new DbRequest { Operation = DbOperation.Batch, Table = requests[0].Table, Options = options, Batch = requests }, cancellationToken);
        foreach (var r in requests) Invalidate(r, all: false);
        return result;
    }

    /// <summary>One row by primary key through the in-process read-through cache: a hit costs no database call.
    /// Writes made with <see cref="DbOptions.Cached"/> (or to a table in <c>-db-caching</c>) drop the entry.</summary>
    public ValueTask<DbRow?> GetCachedAsync(string table, object keys, CancellationToken cancellationToken = default) =>
        GetCachedAsync(table, keys, null, cancellationToken);

    /// <summary>One row by primary key through the in-process read-through cache: a hit costs no database call.
    /// Writes made with <see cref="DbOptions.Cached"/> (or to a table in <c>-db-caching</c>) drop the entry.</summary>
    public async ValueTask<DbRow?> GetCachedAsync(string table, object keys, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var request = Prepare(DbOperation.Get, table, keys, options);
        // Partial rows are not cached: the key is the row's identity, not the shape asked for.
        if (request.Options.Select is { Count: > 0 }) return await GetAsync(table, keys, options, cancellationToken);
        var key = Cache.Key(request);
        List<DbRow> rows;
        if (Cache.TryGet(key, out var cached))
        {
            rows = cached is null ? [] : [DbCache.Copy(cached)];
        }
        else
        {
            // A write that invalidates while this read is in flight bumps the version, and the read is then not stored:
            // otherwise the row read before the write would be served until the next invalidation.
            var version = Cache.Version;
            var result = await Run(request, cancellationToken);
            rows = result.Rows;
            Cache.SetIfUnchanged(key, rows.Count > 0 ? DbCache.Copy(rows[0]) : null, version);
        }
        Process(request, rows);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>The read-through cache behind <c>GetCachedAsync</c>.</summary>
    public DbCache Cache { get; } = new(cacheSize, cacheTtl);

    private async Task<DbResult> Execute(DbOperation op, string table, object? row, DbOptions? options, CancellationToken cancellationToken)
    {
        var request = Prepare(op, table, row, options);
        var result = await Pools.Resolve(request.Options.Pool, table).ExecuteAsync(request, cancellationToken);
        Invalidate(request, all: false);
        return result;
    }

    /// <summary>Runs a read, retrying twice with a short backoff when the database is briefly unavailable (503).</summary>
    private Task<DbResult> Run(DbRequest request, CancellationToken cancellationToken)
    {
        var driver = Pools.Resolve(request.Options.Pool, request.Table.Name);
        var first = Start(driver, request, cancellationToken);
        // A call that already succeeded (an in-process driver), or a write (never retried), is returned as it is: no
        // extra async layer and task.
        return first.IsCompletedSuccessfully || !IsRead(request) ? first : Retry(driver, request, first, cancellationToken);
    }

    private static bool IsRead(DbRequest request) => request.Operation is DbOperation.Get or DbOperation.Select or DbOperation.List or DbOperation.Search;

    /// <summary>The driver's task for one attempt; an exception thrown before it returns becomes a faulted task.</summary>
    private static Task<DbResult> Start(IDbDriver driver, DbRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return driver.ExecuteAsync(request, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<DbResult>(ex);
        }
    }

    /// <summary>A read that answered 503 (the database unreachable or busy) is tried twice more, after 50 and 200 ms.</summary>
    private static async Task<DbResult> Retry(IDbDriver driver, DbRequest request, Task<DbResult> first, CancellationToken cancellationToken)
    {
        try
        {
            return await first;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
        {
            return await RetryAfter503(driver, request, cancellationToken);
        }
    }

    /// <summary>Attempts 1 and 2 of a read whose first attempt answered 503.</summary>
    private static async Task<DbResult> RetryAfter503(IDbDriver driver, DbRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Task.Delay(50 * attempt * attempt, cancellationToken);
            try
            {
                return await Start(driver, request, cancellationToken);
            }
            catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable && attempt < 2)
            {
                // the next attempt, after a longer pause
            }
        }
    }

    private void Invalidate(DbRequest request, bool all)
    {
        if (!request.Options.Cached && !Cache.IsCachedTable(request.Table.Name)) return;
        if (all || request.Operation is DbOperation.UpdateAll or DbOperation.DelAll or DbOperation.Query) Cache.ClearTable(request.Table.Name);
        else Cache.Remove(Cache.Key(request));
    }

    private static List<DbCondition> RequireConditions(TableSchema table, object query, DbOptions options)
    {
        var conditions = Conditions(table, RowReader.Read(query, table), options);
        return conditions.Count > 0 ? conditions : throw DbException.BadInput($"{table.Name}: a condition is required to change many rows");
    }

    /// <summary>Validates and converts a call into a driver request. Unknown columns are ignored (documented in docs/db.md).</summary>
    internal DbRequest Prepare(DbOperation op, string tableName, object? source, DbOptions? options)
    {
        var table = Table(tableName);
        options ??= DbOptions.None;
        if (options.Count is < 0) throw DbException.BadInput("count must not be negative");
        if (options.Select is { Count: > 0 } select && !select.All(table.HasColumn))
        {
            // Unknown columns are ignored everywhere, so a select of only unknown columns means whole rows.
            options = options.Clone();
            var known = select.Where(table.HasColumn).ToList();
            options.Select = known.Count > 0 ? known : null;
        }
        var input = RowReader.Read(source, table);
        if (op == DbOperation.Select)
            return new DbRequest { Operation = op, Table = table, Conditions = Conditions(table, input, options), Options = options };
        if (op == DbOperation.UpdateAll)
        {
            var values = new DbRow();
            foreach (var (name, value) in input)
                if (table.Column(name) is { Primary: 0 } column) values[name] = DbValues.Convert(column, value);
            foreach (var column in table.Columns.Where(c => c.Now)) values[column.Name] = _time.GetUtcNow().ToUnixTimeMilliseconds();
            return new DbRequest { Operation = op, Table = table, Row = values, Options = options };
        }

        if (op is DbOperation.Get or DbOperation.Del)
        {
            // Only the key matters: convert just those values (the request path reads accounts this way). A Get whose
            // row is just the keys, each already of its column's type, is sent as it is, without a copy; the request
            // is read before the call returns and never kept.
            var keyColumns = table.KeyColumns;
            if (op == DbOperation.Get && input.Count == keyColumns.Length && KeysReady(input, keyColumns))
                return new DbRequest { Operation = op, Table = table, Row = input, Options = options };
            var keys = new DbRow(keyColumns.Length);
            foreach (var column in keyColumns)
                keys[column.Name] = RequireKey(table, column.Name, input.TryGetValue(column.Name, out var kv) ? DbValues.Convert(column, kv) : null);
            return new DbRequest { Operation = op, Table = table, Row = keys, Options = options };
        }
        var row = new DbRow();
        foreach (var (name, value) in input)
        {
            if (table.Column(name) is { } column) row[name] = DbValues.Convert(column, value);
        }
        foreach (var key in table.PrimaryKeys) RequireKey(table, key, row.GetValueOrDefault(key));
        if (op == DbOperation.Incr)
        {
            // An empty counter value adds nothing (it must not turn the counter into NULL).
            foreach (var c in table.Columns.Where(c => c.Type == ColumnType.Counter && row.TryGetValue(c.Name, out var v) && v is null)) row.Remove(c.Name);
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var column in table.Columns)
        {
            if (column.Now) row[column.Name] = now;
            // Defaults only where the whole row is written; Replace updates just the given columns of an existing row.
            else if (op is DbOperation.Add or DbOperation.Put && column.Value is not null && !row.ContainsKey(column.Name))
                row[column.Name] = DbValues.Convert(column, column.Value);
        }
        return new DbRequest { Operation = op, Table = table, Row = row, Options = options };
    }

    /// <summary>True when the row has a value for every key column that converting would leave as it is.</summary>
    private static bool KeysReady(DbRow row, ColumnSchema[] keyColumns)
    {
        foreach (var column in keyColumns)
        {
            if (!row.TryGetValue(column.Name, out var v) || v is null or string { Length: 0 } || !ReferenceEquals(DbValues.Convert(column, v), v)) return false;
        }
        return true;
    }

    private static object RequireKey(TableSchema table, string key, object? value) =>
        value is null or string { Length: 0 } ? throw DbException.BadInput($"{table.Name}: missing primary key {key}") : value;

    private static List<DbCondition> Conditions(TableSchema table, DbRow query, DbOptions options)
    {
        var list = new List<DbCondition>();
        foreach (var (name, value) in query)
        {
            if (table.Column(name) is not { } column) continue;
            var op = options.OpFor(name);
            object? converted = op switch
            {
                DbCompare.In => Items(value).Select(v => DbValues.Convert(column, v)).ToList() is { Count: <= MaxInValues } values
                    ? values
                    : throw DbException.BadInput($"in on {name} takes at most {MaxInValues} values"),
                DbCompare.Between => Items(value).Select(v => DbValues.Convert(column, v)).ToList() is { Count: 2 } range
                    ? range
                    : throw DbException.BadInput($"between on {name} needs two values"),
                DbCompare.BeginsWith or DbCompare.Contains or DbCompare.Like => DbValues.ToText(value) is { Length: > MaxPatternLength }
                    ? throw DbException.BadInput($"the pattern for {name} is longer than {MaxPatternLength} characters")
                    : DbValues.ToText(value) ?? "",
                _ => DbValues.Convert(column, value),
            };
            list.Add(new DbCondition(name, op, converted));
        }
        return list;
    }

    /// <summary>A list value: an enumerable, a JSON array, or comma-separated text (as the HTTP API sends it).</summary>
    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null => [],
        string s => s.Split(',', StringSplitOptions.TrimEntries),
        JsonElement { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => (object?)x),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!.Split(',', StringSplitOptions.TrimEntries),
        IEnumerable e => e.Cast<object?>(),
        _ => [value],
    };

    private void Process(DbRequest request, List<DbRow> rows)
    {
        if (request.Options.NoProcessRows || !_processors.TryGetValue(request.Table.Name, out var list)) return;
        foreach (var row in rows)
            foreach (var p in list) p(row, request.Options, request.Table);
    }

    private void Process(DbRequest request, DbRow row)
    {
        if (request.Options.NoProcessRows || !_processors.TryGetValue(request.Table.Name, out var list)) return;
        foreach (var p in list) p(row, request.Options, request.Table);
    }
}
