namespace Backend.Data;

/// <summary>The database facade: one API for every driver. Each call is prepared (validated and converted, see
/// <see cref="DbRequestBuilder"/>), routed to its pool, run (reads with <see cref="DbReadRetry"/>), kept coherent with
/// the read-through <see cref="DbCache"/>, and what comes back goes through the registered row processors
/// (<see cref="DbRowProcessors"/>); typed reads map rows with <see cref="DbRecordMapper"/>, scans page with
/// <see cref="DbScan"/>. This class only routes between those parts.</summary>
public sealed class Db(TableRegistry tables, DbPools pools, long cacheSize = 10_000, TimeSpan? cacheTtl = null, TimeProvider? timeProvider = null)
{
    // The wall clock of `now` columns is the app's TimeProvider, so a test can move time.
    private readonly DbRequestBuilder _requests = new(tables, timeProvider ?? TimeProvider.System);
    private readonly DbRowProcessors _processors = new();

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
    public TableSchema Table(string name) => _requests.Table(name);

    /// <summary>Registers a row processor for a table (the reference's <c>db.setProcessRow</c>).</summary>
    public void SetProcessRow(string table, DbRowProcessor processor) => _processors.Add(table, processor);

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
            var request = _requests.Prepare(DbOperation.Get, table, keys, options);
            var driver = Pools.Resolve(request.Options.Pool, request.Table.Name);
            if (driver is IInProcessGet inProcess)
            {
                if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<DbRow?>(cancellationToken);
                DbRow? row;
                var started = Meter?.Start(driver) ?? 0;
                try
                {
                    row = inProcess.Get(request);
                    Meter?.End(driver, DbOperation.Get, started, null);
                }
                catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
                {
                    Meter?.End(driver, DbOperation.Get, started, ex);
                    return new ValueTask<DbRow?>(AwaitGetAsync(driver, request, Task.FromException<DbResult>(ex), cancellationToken));
                }
                catch (Exception ex)
                {
                    Meter?.End(driver, DbOperation.Get, started, ex);
                    throw;
                }
                if (row is null) return default;
                _processors.Run(request, row);
                return new ValueTask<DbRow?>(row);
            }
            var first = DbReadRetry.Start(driver, request, cancellationToken, Meter);
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

    // The read retry inlined: the driver's task is awaited here directly, so a Get over the network has one async layer
    // less (DbReadRetry.Run would wrap it); a 503 goes on with the same attempts as every other read.
    private async Task<DbRow?> AwaitGetAsync(IDbDriver driver, DbRequest request, Task<DbResult> first, CancellationToken cancellationToken)
    {
        DbResult result;
        try
        {
            result = await first;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
        {
            result = await DbReadRetry.RetryAfter503(driver, request, cancellationToken, Meter);
        }
        return FirstRow(request, result);
    }

    private DbRow? FirstRow(DbRequest request, DbResult result)
    {
        _processors.Run(request, result.Rows);
        return result.Rows.Count > 0 ? result.Rows[0] : null;
    }

    /// <summary>One row by primary key as a record (snake_case columns map to PascalCase properties), or default.</summary>
    public ValueTask<T?> GetAsync<T>(string table, object keys, CancellationToken cancellationToken = default) =>
        GetAsync<T>(table, keys, null, cancellationToken);

    /// <summary>One row by primary key as a record (snake_case columns map to PascalCase properties), or default.</summary>
    public async ValueTask<T?> GetAsync<T>(string table, object keys, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var row = await GetAsync(table, keys, options, cancellationToken);
        return row is null ? default : DbRecordMapper.ToRecord<T>(row);
    }

    /// <summary>A page of rows as records (snake_case columns map to PascalCase properties), with its next token.</summary>
    public Task<DbResult<T>> SelectAsync<T>(string table, object? query, CancellationToken cancellationToken = default) =>
        SelectAsync<T>(table, query, null, cancellationToken);

    /// <summary>A page of rows as records (snake_case columns map to PascalCase properties), with its next token.</summary>
    public async Task<DbResult<T>> SelectAsync<T>(string table, object? query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var result = await SelectAsync(table, query, options, cancellationToken);
        return new DbResult<T>([.. result.Rows.Select(DbRecordMapper.ToRecord<T>)], result.NextToken);
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
        var request = _requests.Prepare(DbOperation.Select, table, query, options);
        var result = await Run(request, cancellationToken);
        _processors.Run(request, result.Rows);
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
        var request = _requests.UpdateAll(table, query, values, options);
        var result = await Run(request, cancellationToken);
        await Cache.Invalidate(request, all: true);
        return result;
    }

    /// <summary>Deletes every row matching the query (at least one condition).</summary>
    public Task<DbResult> DelAllAsync(string table, object query, CancellationToken cancellationToken = default) =>
        DelAllAsync(table, query, null, cancellationToken);

    /// <summary>Deletes every row matching the query (at least one condition).</summary>
    public async Task<DbResult> DelAllAsync(string table, object query, DbOptions? options, CancellationToken cancellationToken = default)
    {
        var request = _requests.DelAll(table, query, options);
        var result = await Run(request, cancellationToken);
        await Cache.Invalidate(request, all: true);
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
        var list = keys.Select(k => _requests.Prepare(DbOperation.Get, table, k, options).Row).ToList();
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
        _processors.Run(request, result.Rows);
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
        var request = _requests.Native(DbOperation.Search, table, query, options);
        var result = await Run(request, cancellationToken);
        _processors.Run(request, result.Rows);
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
        var request = _requests.Native(DbOperation.Query, table, query, options);
        var result = await DbReadRetry.Start(Pools.Resolve(request.Options.Pool, table), request, cancellationToken, Meter);
        await Cache.Invalidate(request, all: true);
        return result;
    }

    /// <summary>Every row of the table (or matching the query), streamed page by page (<see cref="DbOptions.Count"/>
    /// rows per page, 100 by default) following the paging tokens.</summary>
    public IAsyncEnumerable<DbRow> ScanAsync(string table, object? query = null, CancellationToken cancellationToken = default) =>
        ScanAsync(table, query, null, cancellationToken);

    /// <summary>Every row of the table (or matching the query), streamed page by page (<see cref="DbOptions.Count"/>
    /// rows per page, 100 by default) following the paging tokens.</summary>
    public IAsyncEnumerable<DbRow> ScanAsync(string table, object? query, DbOptions? options, CancellationToken cancellationToken = default) =>
        DbScan.RowsAsync(this, table, query, options, cancellationToken);

    /// <summary>Many writes in one call: one transaction on SQL drivers. All items must use the same pool.</summary>
    public Task<DbResult> BatchAsync(IEnumerable<DbBatchItem> items, CancellationToken cancellationToken = default) =>
        BatchAsync(items, null, cancellationToken);

    /// <summary>Many writes in one call: one transaction on SQL drivers. All items must use the same pool.</summary>
    public async Task<DbResult> BatchAsync(IEnumerable<DbBatchItem> items, DbOptions? options, CancellationToken cancellationToken = default)
    {
        options ??= DbOptions.None;
        var requests = _requests.Batch(items, options);
        if (requests.Count == 0) return new DbResult();
        var driver = Pools.Resolve(options.Pool, requests[0].Table.Name);
        if (requests.Any(r => Pools.Resolve(options.Pool, r.Table.Name) != driver)) throw DbException.BadInput("batch items must be in one pool");
        var result = await DbReadRetry.Start(driver, new DbRequest { Operation = DbOperation.Batch, Table = requests[0].Table, Options = options, Batch = requests }, cancellationToken, Meter);
        foreach (var r in requests) await Cache.Invalidate(r, all: false);
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
        var request = _requests.Prepare(DbOperation.Get, table, keys, options);
        // Partial rows are not cached: the key is the row's identity, not the shape asked for.
        if (request.Options.Select is { Count: > 0 }) return await GetAsync(table, keys, options, cancellationToken);
        var row = await Cache.GetOrLoadAsync(Pools.Resolve(request.Options.Pool, request.Table.Name), request, cancellationToken);
        if (row is not null) _processors.Run(request, row);
        return row;
    }

    /// <summary>The read-through cache behind <c>GetCachedAsync</c>.</summary>
    public DbCache Cache { get; } = new(cacheSize, cacheTtl);

    /// <summary>The measurements of every driver call (null: none); set once by the app builder.</summary>
    internal Metrics.DbMeter? Meter
    {
        get;
        set
        {
            field = value;
            Cache.Meter = value;
        }
    }

    private async Task<DbResult> Execute(DbOperation op, string table, object? row, DbOptions? options, CancellationToken cancellationToken)
    {
        var request = _requests.Prepare(op, table, row, options);
        var result = await DbReadRetry.Start(Pools.Resolve(request.Options.Pool, table), request, cancellationToken, Meter);
        await Cache.Invalidate(request, all: false);
        return result;
    }

    /// <summary>Runs a request on its pool, a read with the retry policy.</summary>
    private Task<DbResult> Run(DbRequest request, CancellationToken cancellationToken) =>
        DbReadRetry.Run(Pools.Resolve(request.Options.Pool, request.Table.Name), request, cancellationToken, Meter);

    /// <summary>Validates and converts a call into a driver request, as every operation does first; modules call it to
    /// check a whole set of writes before making the first.</summary>
    internal DbRequest Prepare(DbOperation op, string tableName, object? source, DbOptions? options) =>
        _requests.Prepare(op, tableName, source, options);
}
