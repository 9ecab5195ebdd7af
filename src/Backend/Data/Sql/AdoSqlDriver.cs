using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Backend.Data.Sql;

/// <summary>What the ADO.NET drivers over the network (PostgreSQL, MySQL) do the same way: one pooled connection per
/// call, opened within the connect timeout or a fast 503; deadlock victims retried with backoff; client-library
/// errors translated to <see cref="DbException"/>s; reads, selects, native queries and single writes run alike. A
/// driver supplies its connections and commands, which errors are retryable and what they mean, and its batch.
/// <para>A base class for provider packages (public and unsealed by design: Backend.Postgres and Backend.MySql derive
/// from it, and so can a third party's driver for another ADO.NET database).</para>
/// <para>Time limit and cancellation are the client library's own: every command carries the pool's time limit as its
/// CommandTimeout (whole seconds, rounded up: the libraries' unit; set by the factory in the connection string), and
/// the caller's token goes to every call. Both libraries then stop the statement on the server (Npgsql sends a
/// PostgreSQL cancel request, MySqlConnector a <c>KILL QUERY</c> on another connection) and keep the connection; the
/// tests in tests/Backend.Tests/Drivers/Sql check that the server query is gone. A cancelled caller gets the library's
/// <see cref="OperationCanceledException"/>; a statement past the limit a <see cref="DbTimeout"/> 504, which the
/// driver's <see cref="Translate"/> makes from the library's timeout error.</para></summary>
/// <typeparam name="TConnection">The client library's connection type.</typeparam>
public abstract partial class AdoSqlDriver<TConnection> : IDbDriver where TConnection : DbConnection
{
    private const int MaxAttempts = 6;
    private readonly SqlBuilder _builder;
    private readonly int _connectTimeoutMs;

    /// <summary>Sets the pool name, the builder of the driver's SQL, the connect timeout, the time limit of a statement
    /// (the connection string's command timeout, see <see cref="DbTimeout.Seconds"/>) and the
    /// logger.</summary>
    protected AdoSqlDriver(string name, SqlBuilder builder, int connectTimeoutMs, int timeoutMs, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
        Name = name;
        _builder = builder;
        _connectTimeoutMs = connectTimeoutMs;
        TimeoutMs = timeoutMs;
        Logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The time limit of a statement in milliseconds: the connection string's command timeout (0: none).</summary>
    public int TimeoutMs { get; }

    /// <summary>The driver's logger.</summary>
    protected ILogger Logger { get; }

    /// <inheritdoc />
    public abstract Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();

    /// <inheritdoc />
    public async Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RunAsync(request, cancellationToken);
            }
            catch (Exception ex) when (IsRetryable(ex) && attempt < MaxAttempts && request.Operation != DbOperation.Query)
            {
                // A deadlock or serialization victim was rolled back (a batch's transaction by us), so running it
                // again is safe.
                await Task.Delay(SqlRows.Backoff(attempt), cancellationToken);
            }
            catch (Exception ex) when (Translated(ex, request, cancellationToken) is { } error)
            {
                throw error;
            }
        }
    }

    private async Task<DbResult> RunAsync(DbRequest request, CancellationToken ct)
    {
        switch (request.Operation)
        {
            case DbOperation.Get or DbOperation.List:
            {
                // SQL first: a bad request fails with 400 without taking a connection.
                var st = _builder.Build(request);
                await using var conn = await OpenAsync(ct);
                return new DbResult { Rows = await ReadRowsAsync(conn, st, request.Table, ct) };
            }
            case DbOperation.Select or DbOperation.Search:
            {
                var select = _builder.Select(request);
                await using var conn = await OpenAsync(ct);
                var rows = await ReadRowsAsync(conn, select.Statement, request.Table, ct);
                return SelectPaging.Page(rows, select.Order, select.Count, request.Options.Select);
            }
            case DbOperation.Query:
            {
                var st = _builder.Build(request);
                await using var conn = await OpenAsync(ct);
                await using var cmd = Command(conn, null, st);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                var rows = await SqlRows.ReadAllAsync(reader, request.Table, ct);
                return new DbResult { Rows = rows, Affected = Math.Max(0, reader.RecordsAffected) };
            }
            case DbOperation.Batch:
                return await BatchAsync(request, ct);
            default:
            {
                var st = _builder.Build(request);
                await using var conn = await OpenAsync(ct);
                return new DbResult { Affected = await WriteAsync(conn, null, request, st, ct) };
            }
        }
    }

    private async Task<List<DbRow>> ReadRowsAsync(TConnection conn, SqlStatement st, TableSchema table, CancellationToken ct)
    {
        await using var cmd = Command(conn, null, st);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await SqlRows.ReadAllAsync(reader, table, ct);
    }

    /// <summary>Runs one write and returns its affected count; by default the statement's own count.</summary>
    protected virtual async Task<int> WriteAsync(TConnection conn, DbTransaction? tx, DbRequest request, SqlStatement st, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, st);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Every write of a Batch in one transaction.</summary>
    protected abstract Task<DbResult> BatchAsync(DbRequest request, CancellationToken ct);

    /// <summary>A command for the statement with its parameters bound.</summary>
    protected abstract DbCommand Command(TConnection conn, DbTransaction? tx, SqlStatement st);

    /// <summary>Opens a pooled connection (the client library's call; <see cref="OpenAsync"/> bounds it).</summary>
    protected abstract Task<TConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>True for a deadlock or serialization victim, which is retried.</summary>
    protected abstract bool IsRetryable(Exception ex);

    /// <summary>The <see cref="DbException"/> for a driver error, or null to let it through unchanged (called through
    /// <see cref="Translated"/>, never for a <see cref="DbException"/> or the caller's cancellation).</summary>
    protected abstract DbException? Translate(Exception ex, DbRequest? request, CancellationToken ct);

    /// <summary>What every catch site throws instead of <paramref name="ex"/>: nothing for an exception that is already a
    /// <see cref="DbException"/> or the caller's cancellation, else the driver's <see cref="Translate"/>.</summary>
    protected DbException? Translated(Exception ex, DbRequest? request, CancellationToken ct) =>
        ex is DbException || (ex is OperationCanceledException && ct.IsCancellationRequested) ? null : Translate(ex, request, ct);

    /// <summary>A pooled connection within the connect timeout, or 503: a dead or unreachable server answers fast.</summary>
    protected async Task<TConnection> OpenAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_connectTimeoutMs);
        var open = OpenConnectionAsync(timeout.Token);
        try
        {
            // The client library's own timeouts are whole seconds and not every step of a handshake watches the
            // token, so the wait itself is bounded too; a connection that still opens later is closed at once.
            return await open.WaitAsync(TimeSpan.FromMilliseconds(_connectTimeoutMs), ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not DbException)
        {
            if (!open.IsCompleted) _ = open.ContinueWith(t => t.Result.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            ReportUnavailable(ex.Message);
            throw Unavailable(ex);
        }
    }

    /// <summary>The 503 for an unreachable or overloaded server.</summary>
    protected static DbException Unavailable(Exception ex) => new(DbErrorKind.Unavailable, "database unavailable", ex);

    /// <summary>Logs that the database is unavailable.</summary>
    protected void ReportUnavailable(string error) => LogUnavailable(Logger, Name, error);

    /// <summary>The 504 of a statement the client library stopped at the time limit (its command timeout), logged.</summary>
    protected DbException TimedOut(DbRequest? request, Exception ex) => DbTimeout.Exceeded(Logger, Name, request, TimeoutMs, ex);

    /// <summary>The 504 of a statement the server cancelled by itself (its own statement time limit, an operator's
    /// cancel), logged with the server's message.</summary>
    protected DbException CancelledByServer(DbRequest? request, string error, Exception ex) => DbTimeout.CancelledByServer(Logger, Name, request, error, ex);

    /// <summary>Logs a column added to an existing table.</summary>
    protected void ReportColumnAdded(string table, string column) => LogColumnAdded(Logger, Name, table, column);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Pool}: added column {Table}.{Column}")]
    private static partial void LogColumnAdded(ILogger logger, string pool, string table, string column);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pool}: database unavailable: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string pool, string error);
}
