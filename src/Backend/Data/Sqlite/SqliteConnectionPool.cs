using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Backend.Data.Sqlite;

/// <summary>Keeps opened connections with their pragmas applied and their prepared commands cached, so a request
/// costs one statement step instead of open + pragmas + prepare. (Microsoft.Data.Sqlite's own pooling reopens and
/// re-prepares every time.)
/// <para>Every connection has an SQLite progress handler, set once when it is opened, that stops the running statement
/// (SQLITE_INTERRUPT) when the call's cancellation token is cancelled or its deadline has passed. Microsoft.Data.Sqlite
/// runs statements synchronously and never looks at a token, so without it a statement whose client had left ran to
/// its end. A call states its token and deadline when it rents the connection: two field writes, no
/// CancellationTokenSource, timer or registration per call.</para></summary>
internal sealed class SqliteConnectionPool(string connectionString, int busyTimeoutMs, int timeoutMs, int maxIdle = SqliteConnectionPool.DefaultMaxIdle) : IDisposable
{
    /// <summary>The default number of idle connections kept open.</summary>
    public const int DefaultMaxIdle = 16;
    private const int MaxCachedCommands = 128;

    /// <summary>SQLite VM instructions between two checks of the token and the deadline. A thousand take 10-30 μs, so
    /// a statement stops within well under a millisecond (one long instruction, such as sorting or a huge printf, can
    /// take longer), and a key read (a few dozen instructions) calls the handler only once every many reads.</summary>
    private const int ProgressInstructions = 1000;

    /// <summary>The deadline of a call without a time limit (table initialisation).</summary>
    public const long NoDeadline = long.MaxValue;

    /// <summary>The deadline that starts the clock at the first progress check: the in-process Get reads no clock on its
    /// hot path, and a key read ends before the first check anyway.</summary>
    public const long DeadlineFromFirstCheck = 0;

    // Idle connections in fixed slots taken and filled with Interlocked operations: no lock and no allocation per
    // rent/return. (A ConcurrentBag with one or two items takes a lock on every take, which showed in the profile
    // of an in-process Get; a ConcurrentStack allocates a node per push.) The first slots are used most, so a lone
    // caller finds its connection at once.
    private readonly PooledConnection?[] _idle = new PooledConnection?[Math.Max(1, maxIdle)];

    /// <summary>A connection whose statements stop at <paramref name="deadline"/> (an <see cref="Environment.TickCount64"/>
    /// value, <see cref="DeadlineFromFirstCheck"/> or <see cref="NoDeadline"/>) or when <paramref name="cancellationToken"/>
    /// is cancelled.</summary>
    public PooledConnection Rent(long deadline, CancellationToken cancellationToken)
    {
        var c = Take() ?? Open();
        c.Arm(deadline, cancellationToken);
        return c;
    }

    /// <summary>The deadline of a call starting now.</summary>
    public long Deadline() => Environment.TickCount64 + timeoutMs;

    /// <summary>The time limit of a call, in milliseconds.</summary>
    public int TimeoutMs => timeoutMs;

    private PooledConnection? Take()
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Volatile.Read(ref _idle[i]) is not null && Interlocked.Exchange(ref _idle[i], null) is { } c) return c;
        }
        return null;
    }

    private PooledConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var cmd = connection.CreateCommand())
        {
            // WAL lets readers run beside the writer; busy_timeout makes another process's write lock wait, not fail.
            cmd.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={busyTimeoutMs};";
            cmd.ExecuteNonQuery();
        }
        var pooled = new PooledConnection(connection, timeoutMs);
        raw.sqlite3_progress_handler(connection.Handle, ProgressInstructions, PooledConnection.Progress, pooled);
        return pooled;
    }

    public void Return(PooledConnection connection)
    {
        // An idle connection keeps no caller's token (nor the request it belongs to) alive.
        connection.Disarm();
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _idle[i], connection, null) is null) return;
        }
        connection.Dispose();
    }

    public void Dispose()
    {
        for (var i = 0; i < _idle.Length; i++) Interlocked.Exchange(ref _idle[i], null)?.Dispose();
    }

    internal sealed class PooledConnection(SqliteConnection connection, int timeoutMs) : IDisposable
    {
        private readonly Dictionary<string, CachedCommand> _commands = new(StringComparer.Ordinal);

        // What the progress handler checks; written by the thread that rented the connection, read by the handler on
        // the same thread (it runs inside the statement's step). Only the token's own state comes from other threads.
        private CancellationToken _token;
        private long _deadline = NoDeadline;

        /// <summary>SQLite's progress callback: non-zero stops the running statement with SQLITE_INTERRUPT. One
        /// delegate for every connection (SQLitePCLRaw keeps it with the connection's handle, with the connection as
        /// its state).</summary>
        internal static readonly delegate_progress Progress = static state => ((PooledConnection)state).ShouldStop() ? 1 : 0;

        /// <summary>Sets the token and deadline the next statements are stopped by.</summary>
        public void Arm(long deadline, CancellationToken cancellationToken)
        {
            _token = cancellationToken;
            _deadline = deadline;
        }

        /// <summary>No token and no deadline: for cleanup statements (ROLLBACK) after an interrupted one, and idle.</summary>
        public void Disarm()
        {
            _token = default;
            _deadline = NoDeadline;
        }

        private bool ShouldStop()
        {
            if (_token.IsCancellationRequested) return true;
            var now = Environment.TickCount64;
            if (_deadline == DeadlineFromFirstCheck)
            {
                _deadline = now + timeoutMs;
                return false;
            }
            return now >= _deadline;
        }

        // The same commands again, found by the text's object identity: the builders return one cached string per
        // statement shape (Get, whole-row writes), and comparing references skips hashing a ~150-character text on
        // every call, which was a measurable part of an in-process Get. Texts built per call miss here and are found
        // by content in _commands; only the string a command was created with is a key here, so this map never
        // holds more than _commands does.
        private readonly Dictionary<string, CachedCommand> _byReference = new(ReferenceEqualityComparer.Instance);

        public SqliteConnection Connection { get; } = connection;

        /// <summary>A cached command for the SQL text with fresh parameter values bound.</summary>
        public CachedCommand Command(string sql, IReadOnlyList<object?> parameters, Func<int, string> parameterName)
        {
            if (!_byReference.TryGetValue(sql, out var cmd) && !_commands.TryGetValue(sql, out cmd))
            {
                if (_commands.Count >= MaxCachedCommands)
                {
                    foreach (var c in _commands.Values) c.Command.Dispose();
                    _commands.Clear();
                    _byReference.Clear();
                }
                var command = Connection.CreateCommand();
                command.CommandText = sql;
                for (var i = 0; i < parameters.Count; i++) command.Parameters.Add(new SqliteParameter(parameterName(i), null));
                cmd = new CachedCommand(command);
                _commands[sql] = cmd;
                _byReference[sql] = cmd;
            }
            var bound = cmd.Command.Parameters;
            for (var i = 0; i < parameters.Count; i++) bound[i].Value = parameters[i];
            return cmd;
        }

        public void Dispose()
        {
            foreach (var c in _commands.Values) c.Command.Dispose();
            Connection.Dispose();
        }
    }

    /// <summary>A prepared command and what its result columns map to, described on first read and reused: the
    /// statement's select list never changes, and asking SQLite for the column names on every call cost ~0.5 μs of
    /// a ~5 μs Get.</summary>
    internal sealed class CachedCommand(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;

        public Sql.SqlRows.Shape? Shape;
    }
}
