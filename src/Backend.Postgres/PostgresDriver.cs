using DbCommand = System.Data.Common.DbCommand;
using DbTransaction = System.Data.Common.DbTransaction;
using System.Net.Sockets;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Backend.Postgres;

/// <summary>The PostgreSQL driver (Npgsql). Every call borrows a pooled connection for one statement (one transaction
/// for a Batch); PostgreSQL's own row locking makes concurrent writers safe, so there is no in-process lock.
/// Errors: a unique violation is 409, an unreachable or overloaded server 503 within the connect timeout, a statement
/// past the time limit (Npgsql's command timeout: it sends a cancel request, then throws a TimeoutException inside an
/// NpgsqlException) or cancelled by the server (57014: its own <c>statement_timeout</c>, an operator's
/// <c>pg_cancel_backend</c>) 504, anything else 500 with the server's message inside (never shown to HTTP clients).</summary>
internal sealed class PostgresDriver : AdoSqlDriver<NpgsqlConnection>
{
    /// <summary>Key of the advisory lock that serialises table creation and upgrades across processes.</summary>
    private const long InitLockKey = 0x626B_6373_696E_6974; // "bkcsinit"
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresSqlBuilder _sql;

    /// <summary>Creates the pool; no connection is opened until the first call. The connection string's command timeout
    /// is the time limit of a statement.</summary>
    public PostgresDriver(string name, string connectionString, int connectTimeoutMs, ILogger<PostgresDriver> logger)
        : this(name, connectionString, connectTimeoutMs, logger, new PostgresSqlBuilder())
    {
    }

    private PostgresDriver(string name, string connectionString, int connectTimeoutMs, ILogger logger, PostgresSqlBuilder sql)
        : base(name, sql, connectTimeoutMs, new NpgsqlConnectionStringBuilder(connectionString).CommandTimeout * 1000, logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _sql = sql;
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The builder that writes this driver's SQL.</summary>
    public PostgresSqlBuilder Sql => _sql;

    /// <inheritdoc />
    public override async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        try
        {
            await using var conn = await OpenAsync(cancellationToken);
            foreach (var table in tables)
            {
                // One transaction per table under an advisory lock: another process initialising the same database
                // waits, then finds the table, columns and indexes already there (PostgreSQL DDL is transactional).
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                await ExecAsync(conn, tx, $"SELECT pg_advisory_xact_lock({InitLockKey})", cancellationToken);
                await ExecAsync(conn, tx, _sql.CreateTable(table), cancellationToken);
                var existing = await ExistingColumnsAsync(conn, tx, table.Name, cancellationToken);
                foreach (var column in table.Columns.Where(c => !existing.Contains(c.Name)))
                {
                    await ExecAsync(conn, tx, _sql.AddColumn(table, column), cancellationToken);
                    ReportColumnAdded(table.Name, column.Name);
                }
                foreach (var index in table.Indexes) await ExecAsync(conn, tx, _sql.CreateIndex(table, index), cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (Translated(ex, null, cancellationToken) is { } error)
        {
            throw error.Kind is DbErrorKind.Unavailable or DbErrorKind.Timeout ? error : new DbException(DbErrorKind.Failed, $"{Name}: cannot initialise tables: {ex.Message}", ex);
        }
    }

    private static async Task<HashSet<string>> ExistingColumnsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = table });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) set.Add(reader.GetString(0));
        return set;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Every write in one transaction, sent in one round trip.</summary>
    protected override async Task<DbResult> BatchAsync(DbRequest request, CancellationToken ct)
    {
        var statements = SqlRows.LockOrder(request.Batch).Select(_sql.Build).ToList();
        await using var conn = await OpenAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var st in statements)
        {
            var bc = new NpgsqlBatchCommand(st.Text);
            foreach (var p in st.Parameters) bc.Parameters.Add(Parameter(p));
            batch.BatchCommands.Add(bc);
        }
        var affected = await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return new DbResult { Affected = Math.Max(0, affected) };
    }

    /// <inheritdoc />
    protected override DbCommand Command(NpgsqlConnection conn, DbTransaction? tx, SqlStatement st)
    {
        ArgumentNullException.ThrowIfNull(st);
        var cmd = new NpgsqlCommand(st.Text, conn, (NpgsqlTransaction?)tx);
        foreach (var p in st.Parameters) cmd.Parameters.Add(Parameter(p));
        return cmd;
    }

    private static NpgsqlParameter Parameter(object? value) => value switch
    {
        PostgresJson json => new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = json.Text },
        _ => new NpgsqlParameter { Value = value ?? DBNull.Value },
    };

    /// <inheritdoc />
    protected override Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken ct) => _dataSource.OpenConnectionAsync(ct).AsTask();

    /// <inheritdoc />
    protected override bool IsRetryable(Exception ex) => ex is PostgresException pg && IsVictim(pg);

    private static bool IsVictim(PostgresException ex) => ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;

    /// <summary>The <see cref="DbException"/> for a driver error (never a <see cref="DbException"/> or the caller's
    /// cancellation: the base lets those through), or null to let it through unchanged.</summary>
    protected override DbException? Translate(Exception ex, DbRequest? request, CancellationToken ct)
    {
        var table = request?.Table.Name ?? "";
        switch (ex)
        {
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.UniqueViolation:
                return new DbException(DbErrorKind.Conflict, $"{table}: a record with this key already exists", ex);
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.QueryCanceled:
                // Not the caller's cancellation (the base lets that through): the server's statement_timeout or an
                // operator. Not retried, as a timeout.
                return CancelledByServer(request, pg.MessageText, ex);
            case NpgsqlException { InnerException: TimeoutException }:
                // The command timeout: Npgsql cancelled the statement on the server (the connection stays usable, or
                // Npgsql breaks it itself when the cancel did not come through).
                return TimedOut(request, ex);
            case PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || IsVictim(pg)
                || pg.SqlState is PostgresErrorCodes.LockNotAvailable:
                ReportUnavailable(ex.Message);
                return Unavailable(ex);
            // NUL characters (text or \u0000 in JSON) and index entries over PostgreSQL's btree limit (~2700 bytes):
            // the value is what is wrong, not the server.
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.NumericValueOutOfRange:
                return new DbException(DbErrorKind.BadInput, $"{table}: counter out of range", ex);
            case PostgresException pg when pg.SqlState is PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter
                or PostgresErrorCodes.ProgramLimitExceeded or PostgresErrorCodes.StringDataRightTruncation:
                return new DbException(DbErrorKind.BadInput, $"{table}: invalid value: {pg.MessageText}", ex);
            case PostgresException:
                return new DbException(DbErrorKind.Failed, $"{Name}: {request?.Operation} {table} failed: {ex.Message}", ex);
            case System.Text.EncoderFallbackException:
                // text with a lone UTF-16 surrogate cannot be sent as UTF-8
                return new DbException(DbErrorKind.BadInput, $"{table}: invalid value: text is not valid Unicode", ex);
            case NpgsqlException or IOException or SocketException or TimeoutException or OperationCanceledException:
                // The connection broke (server restart, network, command timeout): pooled idle connections are likely
                // broken too, so drop them and let the next call open fresh ones.
                _dataSource.Clear();
                ReportUnavailable(ex.Message);
                return Unavailable(ex);
            default:
                return new DbException(DbErrorKind.Failed, $"{Name}: {request?.Operation} {table} failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
