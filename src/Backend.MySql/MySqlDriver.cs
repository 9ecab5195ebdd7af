using System.Net.Sockets;
using DbCommand = System.Data.Common.DbCommand;
using DbTransaction = System.Data.Common.DbTransaction;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backend.MySql;

/// <summary>The MySQL/MariaDB driver (MySqlConnector). Every call borrows a pooled connection for one statement (one
/// transaction for a Batch); InnoDB's row locking makes concurrent writers safe, so there is no in-process lock.
/// <para><see cref="DbResult.Affected"/> means what it means on SQLite: connections report found rows, not changed
/// rows (<c>UseAffectedRows=false</c>), so an Update of an existing row is 1 even when nothing changed and 0 when the
/// row is missing; MySQL's upsert counts (2 for "updated") are reported as 1.</para>
/// Errors: a duplicate key is 409, a value too long for a key column 400, an unreachable or overloaded server 503
/// within the connect timeout, a statement past the time limit (MySqlConnector's command timeout: it runs
/// <c>KILL QUERY</c> and throws CommandTimeoutExpired) or interrupted by the server (its own <c>max_statement_time</c> or
/// <c>max_execution_time</c>, an operator's <c>KILL QUERY</c>) 504, anything else 500 with the server's message inside
/// (never shown to HTTP clients).</summary>
internal sealed class MySqlDriver : AdoSqlDriver<MySqlConnection>
{
    private readonly MySqlDataSource _dataSource;
    private readonly MySqlSqlBuilder _sql;

    /// <summary>0: not known yet whether the server runs in strict mode; 1: it does; 2: each session is made strict.</summary>
    private int _strictMode;

    /// <summary>Creates the pool; no connection is opened until the first call. The connection string's default command
    /// timeout is the time limit of a statement.</summary>
    public MySqlDriver(string name, string connectionString, int connectTimeoutMs, ILogger<MySqlDriver> logger)
        : this(name, connectionString, connectTimeoutMs, logger, new MySqlSqlBuilder())
    {
    }

    private MySqlDriver(string name, string connectionString, int connectTimeoutMs, ILogger logger, MySqlSqlBuilder sql)
        : base(name, sql, connectTimeoutMs, (int)Math.Min(int.MaxValue, new MySqlConnectionStringBuilder(connectionString).DefaultCommandTimeout * 1000L), logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _sql = sql;
        _dataSource = new MySqlDataSourceBuilder(connectionString).UseConnectionOpenedCallback(OnOpenedAsync).Build();
    }

    /// <summary>The builder that writes this driver's statements (DDL uses one with the server's collation).</summary>
    public MySqlSqlBuilder Sql => _sql;

    /// <summary>The collation text columns are created with, known after <see cref="InitTablesAsync"/>.</summary>
    public string? Collation { get; private set; }

    /// <summary>Values too long for a column must fail, never be cut: servers not in strict mode (rare since MySQL 5.7
    /// and MariaDB 10.2) get it per session.</summary>
    private async ValueTask OnOpenedAsync(MySqlConnectionOpenedContext context, CancellationToken ct)
    {
        if (Volatile.Read(ref _strictMode) == 1 || context.Conditions == MySqlConnectionOpenedConditions.None) return;
        if (Volatile.Read(ref _strictMode) == 0)
        {
            await using var check = new MySqlCommand("SELECT @@SESSION.sql_mode", context.Connection);
            var mode = Convert.ToString(await check.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) ?? "";
            var strict = mode.Split(',').Any(m => m is "STRICT_TRANS_TABLES" or "STRICT_ALL_TABLES");
            Volatile.Write(ref _strictMode, strict ? 1 : 2);
            if (strict) return;
        }
        await using var set = new MySqlCommand("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'STRICT_ALL_TABLES')", context.Connection);
        await set.ExecuteNonQueryAsync(ct);
    }

    /// <inheritdoc />
    public override async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        const string LockName = "LEFT(CONCAT('bkcs-init:', DATABASE()), 64)";
        try
        {
            await using var conn = await OpenAsync(cancellationToken);
            var ddl = new MySqlSqlBuilder(await CollationAsync(conn, cancellationToken));
            Collation = ddl.Collation;
            // DDL commits implicitly in MySQL, so a named lock (not a transaction) keeps two processes initialising
            // the same database from adding the same column or index twice.
            if (await ScalarAsync(conn, $"SELECT GET_LOCK({LockName}, 60)", null, cancellationToken) is not (1 or 1L))
                throw new DbException(DbErrorKind.Unavailable, "database unavailable", new TimeoutException("timed out waiting for the table initialisation lock"));
            try
            {
                foreach (var table in tables) await InitTableAsync(conn, ddl, table, cancellationToken);
            }
            finally
            {
                await ExecAsync(conn, $"DO RELEASE_LOCK({LockName})", CancellationToken.None);
            }
        }
        catch (Exception ex) when (Translated(ex, null, cancellationToken) is { } error)
        {
            throw error.Kind is DbErrorKind.Unavailable or DbErrorKind.Timeout ? error : new DbException(DbErrorKind.Failed, $"{Name}: cannot initialise tables: {ex.Message}", ex);
        }
    }

    private async Task InitTableAsync(MySqlConnection conn, MySqlSqlBuilder ddl, TableSchema table, CancellationToken ct)
    {
        await ExecAsync(conn, ddl.CreateTable(table), ct);
        var existing = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using (var cmd = new MySqlCommand("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t", conn))
        {
            cmd.Parameters.AddWithValue("@t", table.Name);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) existing[reader.GetString(0)] = reader.GetString(1).ToLowerInvariant();
        }
        foreach (var column in table.Columns.Where(c => !existing.ContainsKey(c.Name)))
        {
            await ExecAsync(conn, ddl.AddColumn(table, column), ct);
            ReportColumnAdded(table.Name, column.Name);
        }
        var indexes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var cmd = new MySqlCommand("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t", conn))
        {
            cmd.Parameters.AddWithValue("@t", table.Name);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) indexes.Add(reader.GetString(0));
        }
        foreach (var index in table.Indexes.Where(i => !indexes.Contains(table.IndexName(i))))
        {
            // A column that was created LONGTEXT before it was indexed is indexed by a prefix.
            var longText = index.Where(c => existing.GetValueOrDefault(c) is "tinytext" or "text" or "mediumtext" or "longtext").ToHashSet(StringComparer.Ordinal);
            await ExecAsync(conn, ddl.CreateIndex(table, index, longText), ct);
        }
    }

    /// <summary>The best binary collation the server has: no-pad ones compare trailing spaces like SQLite.</summary>
    private static async Task<string> CollationAsync(MySqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new MySqlCommand("SELECT COLLATION_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_0900_bin', 'utf8mb4_nopad_bin')", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var found = new List<string>();
        while (await reader.ReadAsync(ct)) found.Add(reader.GetString(0));
        return found.Contains("utf8mb4_0900_bin") ? "utf8mb4_0900_bin" : found.Contains("utf8mb4_nopad_bin") ? "utf8mb4_nopad_bin" : MySqlSqlBuilder.DefaultCollation;
    }

    private static async Task ExecAsync(MySqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new MySqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(MySqlConnection conn, string sql, MySqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new MySqlCommand(sql, conn, tx);
        return await cmd.ExecuteScalarAsync(ct);
    }

    /// <inheritdoc />
    protected override async Task<DbResult> BatchAsync(DbRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var statements = SqlRows.LockOrder(request.Batch).Select(r => (Request: r, Statement: _sql.Build(r))).ToList();
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var affected = 0;
        foreach (var (item, st) in statements) affected += await WriteAsync(conn, tx, item, st, ct);
        await tx.CommitAsync(ct);
        return new DbResult { Affected = affected };
    }

    /// <summary>Runs one write and returns its SQLite-equivalent affected count.</summary>
    protected override async Task<int> WriteAsync(MySqlConnection conn, DbTransaction? tx, DbRequest request, SqlStatement st, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var cmd = Command(conn, tx, st);
        int n;
        try
        {
            n = await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry && MySqlSqlBuilder.IsInsertIfMissing(request))
        {
            // Another writer inserted the same key-only row first: nothing to change, as with ON CONFLICT DO NOTHING.
            return 0;
        }
        // Upserts report 1 inserted, 2 updated (1 when unchanged, with found rows); every other driver says 1.
        return request.Operation is DbOperation.Put or DbOperation.Incr or DbOperation.Replace ? Math.Min(n, 1) : Math.Max(n, 0);
    }

    /// <inheritdoc />
    protected override DbCommand Command(MySqlConnection conn, DbTransaction? tx, SqlStatement st)
    {
        ArgumentNullException.ThrowIfNull(st);
        var cmd = new MySqlCommand(st.Text, conn, (MySqlTransaction?)tx);
        for (var i = 0; i < st.Parameters.Count; i++) cmd.Parameters.AddWithValue("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), st.Parameters[i]);
        return cmd;
    }

    /// <inheritdoc />
    protected override Task<MySqlConnection> OpenConnectionAsync(CancellationToken ct) => _dataSource.OpenConnectionAsync(ct).AsTask();

    /// <inheritdoc />
    protected override bool IsRetryable(Exception ex) => ex is MySqlException my && IsVictim(my);

    private static bool IsVictim(MySqlException ex) => ex.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout;

    /// <summary>MariaDB's ER_STATEMENT_TIMEOUT: <c>max_statement_time</c> exceeded (not in MySqlErrorCode).</summary>
    private const int MariaDbStatementTimeout = 1969;

    /// <summary>A statement the server stopped: killed (<c>KILL QUERY</c>) or past the server's own statement time limit.</summary>
    private static bool IsInterrupted(MySqlException ex) =>
        ex.ErrorCode is MySqlErrorCode.QueryInterrupted or MySqlErrorCode.QueryTimeout || (int)ex.ErrorCode == MariaDbStatementTimeout;

    private static bool IsBrokenConnection(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is IOException or SocketException or EndOfStreamException) return true;
        return false;
    }

    /// <summary>The <see cref="DbException"/> for a driver error (never a <see cref="DbException"/> or the caller's
    /// cancellation: the base lets those through), or null to let it through unchanged.</summary>
    protected override DbException? Translate(Exception ex, DbRequest? request, CancellationToken ct)
    {
        var table = request?.Table.Name ?? "";
        switch (ex)
        {
            case MySqlException my when my.ErrorCode == MySqlErrorCode.DuplicateKeyEntry:
                return new DbException(DbErrorKind.Conflict, $"{table}: a record with this key already exists", ex);
            case MySqlException my when my.ErrorCode == MySqlErrorCode.CommandTimeoutExpired:
                // MySqlConnector killed the statement on the server (KILL QUERY); the connection stays usable.
                return TimedOut(request, ex);
            case MySqlException my when IsInterrupted(my):
                // Not the caller's cancellation (the base lets that through): the server or an operator stopped it.
                return CancelledByServer(request, my.Message, ex);
            case MySqlException my when my.ErrorCode == MySqlErrorCode.DataOutOfRange:
                return new DbException(DbErrorKind.BadInput, $"{table}: counter out of range", ex);
            case MySqlException my when my.ErrorCode is MySqlErrorCode.DataTooLong or MySqlErrorCode.TruncatedWrongValueForField
                or MySqlErrorCode.WarningDataOutOfRange:
                // VARCHAR key and indexed columns hold at most 255 characters.
                return new DbException(DbErrorKind.BadInput, $"{table}: invalid value: {my.Message}", ex);
            case MySqlException my when IsVictim(my) || my.IsTransient || IsBrokenConnection(my)
                || my.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.TooManyUserConnections
                    or MySqlErrorCode.ServerShutdown:
                if (IsBrokenConnection(my)) ClearPool();
                ReportUnavailable(ex.Message);
                return Unavailable(ex);
            case MySqlException:
                return new DbException(DbErrorKind.Failed, $"{Name}: {request?.Operation} {table} failed: {ex.Message}", ex);
            case IOException or SocketException or TimeoutException or OperationCanceledException:
                ClearPool();
                ReportUnavailable(ex.Message);
                return Unavailable(ex);
            default:
                return new DbException(DbErrorKind.Failed, $"{Name}: {request?.Operation} {table} failed: {ex.Message}", ex);
        }
    }

    /// <summary>Drops idle pooled connections after one broke (server restart, network), so later calls open fresh ones.</summary>
    private void ClearPool()
    {
        using var c = _dataSource.CreateConnection();
        MySqlConnection.ClearPool(c);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
