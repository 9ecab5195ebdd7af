using Backend.Data.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace Backend.Data.Sqlite;

/// <summary>The embedded SQLite driver (Microsoft.Data.Sqlite). Writes are serialised in-process by an async lock:
/// SQLite allows one writer at a time anyway, and queuing here instead of inside SQLite means concurrent writers
/// wait their turn rather than ever seeing "database is locked". Reads run in parallel under WAL.
/// <para>Every call is stopped when its cancellation token is cancelled (the HTTP client left: the caller gets an
/// <see cref="OperationCanceledException"/>) or when it has run for the pool's time limit (<c>-db-sqlite-timeout</c>,
/// waiting for the write lock included: a <see cref="DbTimeout"/> 504), through the connections' progress handler
/// (<see cref="SqliteConnectionPool"/>).</para>
/// <para>Memory (what held it in the outside probe's case, measured on this build, SQLite 3.53 with
/// <c>SQLITE_TEMP_STORE=1</c>): an expensive native condition holds memory only while its statement runs, so stopping the
/// statement is the fix. An aggregate growing one value, <c>group_concat</c> over an endless recursive CTE, grew the
/// server by 25-47 MB/s towards SQLite's 1 GB value limit (the likeliest shape of the probe's 304 MB to 1.9 GB: the
/// value plus its copy while it doubles); interrupted, it is freed when the reader is disposed and RSS was back at its
/// baseline within a second (81 MB, 181-431 MB while running, 82-83 MB after; glibc hands such large blocks back to the
/// system at once, and <c>malloc_trim(0)</c> afterwards freed nothing more, so it is not called). Temporary b-trees
/// (<c>IN (SELECT ...)</c> over an endless CTE, sorters, DISTINCT) do not grow RSS: they spill beyond the 2 MB page
/// cache to deleted files in /var/tmp (one grew 35 MB/s, deleted with the statement), so no heap limit or temp_store
/// change is needed either; the time limit bounds that disk use.</para></summary>
internal sealed partial class SqliteDriver : IDbDriver, IInProcessGet
{
    private readonly SqliteConnectionPool _pool;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqlBuilder _sql = new(SqlDialect.Sqlite);

    // Made once: passing the method group per call allocated a delegate on every statement.
    private readonly Func<int, string> _parameterName = SqlDialect.Sqlite.Parameter;
    private readonly ILogger _logger;

    /// <summary>Opens (creating if needed) the database file, with the default time limit of 30 s per call.</summary>
    public SqliteDriver(string name, string path, int busyTimeoutMs, ILogger<SqliteDriver> logger)
        : this(name, path, busyTimeoutMs, DefaultTimeoutMs, logger)
    {
    }

    /// <summary>Opens (creating if needed) the database file; a call is stopped after <paramref name="timeoutMs"/>; at most
    /// <paramref name="maxIdleConnections"/> connections are kept open between calls (<c>-db-sqlite-max</c>).</summary>
    public SqliteDriver(string name, string path, int busyTimeoutMs, int timeoutMs, ILogger<SqliteDriver> logger, int maxIdleConnections = SqliteConnectionPool.DefaultMaxIdle)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Name = name;
        Path = path;
        _logger = logger;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = Math.Max(1, busyTimeoutMs / 1000),
        }.ToString();
        _pool = new SqliteConnectionPool(cs, busyTimeoutMs, timeoutMs, maxIdleConnections);
    }

    /// <summary>The time limit of a call when none is given (the default of <c>-db-timeout</c>).</summary>
    public const int DefaultTimeoutMs = 30_000;

    /// <summary>SQLite's result code of a statement stopped by the progress handler (or sqlite3_interrupt).</summary>
    private const int SqliteInterrupt = 9;

    /// <summary>The time limit of a call, in milliseconds.</summary>
    public int TimeoutMs => _pool.TimeoutMs;

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        await _writeLock.WaitAsync(cancellationToken);
        SqliteConnectionPool.PooledConnection? c = null;
        try
        {
            // DDL is never interrupted (a half-done upgrade would only be redone): no deadline and no token here.
            c = _pool.Rent(SqliteConnectionPool.NoDeadline, CancellationToken.None);
            foreach (var table in tables)
            {
                // One immediate transaction per table: another process upgrading the same file waits for it and
                // then sees the columns already added, instead of failing with "duplicate column name".
                Exec(c, "BEGIN IMMEDIATE");
                try
                {
                    Exec(c, _sql.CreateTable(table));
                    var existing = ExistingColumns(c, table.Name);
                    foreach (var column in table.Columns.Where(col => !existing.Contains(col.Name)))
                    {
                        Exec(c, _sql.AddColumn(table, column));
                        LogColumnAdded(_logger, table.Name, column.Name);
                    }
                    foreach (var index in table.Indexes) Exec(c, _sql.CreateIndex(table, index));
                    Exec(c, "COMMIT");
                }
                catch
                {
                    Exec(c, "ROLLBACK");
                    throw;
                }
            }
        }
        catch (SqliteException ex)
        {
            throw new DbException(DbErrorKind.Unavailable, $"{Name}: cannot initialise tables in {Path}: {ex.Message}", ex);
        }
        finally
        {
            if (c is not null) _pool.Return(c);
            _writeLock.Release();
        }
    }

    private static HashSet<string> ExistingColumns(SqliteConnectionPool.PooledConnection c, string table)
    {
        using var cmd = c.Connection.CreateCommand();
        cmd.CommandText = "SELECT name FROM pragma_table_info(@t)";
        cmd.Parameters.AddWithValue("@t", table);
        using var reader = cmd.ExecuteReader();
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.Read()) set.Add(reader.GetString(0));
        return set;
    }

    private static void Exec(SqliteConnectionPool.PooledConnection c, string sql)
    {
        using var cmd = c.Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var isRead = request.Operation is DbOperation.Get or DbOperation.Select or DbOperation.Search or DbOperation.List;
        // The time limit covers the wait for the write lock too: a write queued behind a long one gives up with the rest.
        var deadline = _pool.Deadline();
        if (!isRead && !await _writeLock.WaitAsync(_pool.TimeoutMs, cancellationToken)) throw DbTimeout.Exceeded(_logger, Name, request, _pool.TimeoutMs);
        SqliteConnectionPool.PooledConnection? c = null;
        try
        {
            c = _pool.Rent(deadline, cancellationToken);
            return isRead ? Read(c, request) : Write(c, request);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteInterrupt && cancellationToken.IsCancellationRequested)
        {
            // The caller left: stopped on purpose, nothing to report.
            throw new OperationCanceledException("the database call was cancelled", ex, cancellationToken);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, request);
        }
        finally
        {
            if (c is not null) _pool.Return(c);
            if (!isRead) _writeLock.Release();
        }
    }

    /// <inheritdoc />
    DbRow? IInProcessGet.Get(DbRequest request)
    {
        SqliteConnectionPool.PooledConnection? c = null;
        try
        {
            // No token (Db.Get checked it before) and no clock read: the deadline starts at the first progress check.
            c = _pool.Rent(SqliteConnectionPool.DeadlineFromFirstCheck, CancellationToken.None);
            var st = _sql.Build(request);
            var cmd = c.Command(st.Text, st.Parameters, _parameterName);
            using var reader = cmd.Command.ExecuteReader();
            return SqlRows.ReadFirst(reader, request.Table, ref cmd.Shape);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, request);
        }
        finally
        {
            if (c is not null) _pool.Return(c);
        }
    }

    private DbException Translate(SqliteException ex, DbRequest request) => ex.SqliteErrorCode switch
    {
        19 when request.Operation is DbOperation.Add or DbOperation.Batch => new DbException(DbErrorKind.Conflict, $"{request.Table.Name}: a record with this key already exists", ex),
        5 or 6 => new DbException(DbErrorKind.Unavailable, "database is busy, try again", ex),
        // Stopped by the progress handler and not cancelled by the caller (ExecuteAsync tells that apart): the deadline.
        SqliteInterrupt => DbTimeout.Exceeded(_logger, Name, request, _pool.TimeoutMs, ex),
        _ => new DbException(DbErrorKind.Failed, $"{Name}: {request.Operation} {request.Table.Name} failed: {ex.Message}", ex),
    };

    private DbResult Write(SqliteConnectionPool.PooledConnection c, DbRequest request)
    {
        if (request.Operation == DbOperation.Query)
        {
            var st = _sql.Build(request);
            using var cmd = c.Connection.CreateCommand();
            cmd.CommandText = st.Text;
            for (var i = 0; i < st.Parameters.Count; i++) cmd.Parameters.AddWithValue(_sql.Dialect.Parameter(i), st.Parameters[i]);
            using var reader = cmd.ExecuteReader();
            var rows = SqlRows.ReadAll(reader, request.Table);
            return new DbResult { Rows = rows, Affected = Math.Max(0, reader.RecordsAffected) };
        }
        if (request.Operation != DbOperation.Batch) return new DbResult { Affected = WriteOne(c, request) };
        Exec(c, "BEGIN IMMEDIATE");
        try
        {
            var affected = 0;
            foreach (var item in request.Batch) affected += WriteOne(c, item);
            Exec(c, "COMMIT");
            return new DbResult { Affected = affected };
        }
        catch
        {
            // A statement stopped by the progress handler may have rolled the transaction back already (SQLite does
            // that for an interrupted write), and the ROLLBACK itself must not be stopped by the same token or deadline.
            c.Disarm();
            if (raw.sqlite3_get_autocommit(c.Connection.Handle) == 0) Exec(c, "ROLLBACK");
            throw;
        }
    }

    /// <summary>One write statement; returns the affected count.</summary>
    private int WriteOne(SqliteConnectionPool.PooledConnection c, DbRequest request)
    {
        var st = _sql.Build(request);
        var affected = c.Command(st.Text, st.Parameters, _parameterName).Command.ExecuteNonQuery();
        // The overflow guard of an Incr made the update a no-op: the counter is unchanged. (With NoUpsert a missing row
        // is the other way to change nothing; writes are serialised, so the check below sees the same state.)
        if (affected == 0 && request.Operation == DbOperation.Incr && request.Row.Any(kv => request.Table.Column(kv.Key)!.Type == ColumnType.Counter)
            && !(request.Options.NoUpsert && !Exists(c, request)))
            throw DbException.BadInput($"{request.Table.Name}: counter out of range");
        return affected;
    }

    /// <summary>Whether the row of the request's key exists.</summary>
    private bool Exists(SqliteConnectionPool.PooledConnection c, DbRequest request)
    {
        var st = _sql.Build(new DbRequest { Operation = DbOperation.Get, Table = request.Table, Row = request.Row });
        using var reader = c.Command(st.Text, st.Parameters, _parameterName).Command.ExecuteReader();
        return reader.Read();
    }

    private DbResult Read(SqliteConnectionPool.PooledConnection c, DbRequest request)
    {
        if (request.Operation is DbOperation.Get or DbOperation.List)
        {
            var st = _sql.Build(request);
            return new DbResult { Rows = ReadRows(c, st, request.Table) };
        }
        var select = _sql.Select(request);
        var rows = ReadRows(c, select.Statement, request.Table);
        return SelectPaging.Page(rows, select.Order, select.Count, request.Options.Select);
    }

    private List<DbRow> ReadRows(SqliteConnectionPool.PooledConnection c, SqlStatement st, TableSchema table)
    {
        var cmd = c.Command(st.Text, st.Parameters, _parameterName);
        using var reader = cmd.Command.ExecuteReader();
        return SqlRows.ReadAll(reader, table, ref cmd.Shape);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _pool.Dispose();
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "sqlite: added column {Table}.{Column}")]
    private static partial void LogColumnAdded(ILogger logger, string table, string column);
}
