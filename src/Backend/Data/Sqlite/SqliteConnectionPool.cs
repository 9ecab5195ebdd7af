using Microsoft.Data.Sqlite;

namespace Backend.Data.Sqlite;

/// <summary>Keeps opened connections with their pragmas applied and their prepared commands cached, so a request
/// costs one statement step instead of open + pragmas + prepare. (Microsoft.Data.Sqlite's own pooling reopens and
/// re-prepares every time.)</summary>
internal sealed class SqliteConnectionPool(string connectionString, int busyTimeoutMs) : IDisposable
{
    private const int MaxIdle = 16;
    private const int MaxCachedCommands = 128;

    // Idle connections in fixed slots taken and filled with Interlocked operations: no lock and no allocation per
    // rent/return. (A ConcurrentBag with one or two items takes a lock on every take, which showed in the profile
    // of an in-process Get; a ConcurrentStack allocates a node per push.) The first slots are used most, so a lone
    // caller finds its connection at once.
    private readonly PooledConnection?[] _idle = new PooledConnection?[MaxIdle];

    public PooledConnection Rent()
    {
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Volatile.Read(ref _idle[i]) is not null && Interlocked.Exchange(ref _idle[i], null) is { } c) return c;
        }
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var cmd = connection.CreateCommand())
        {
            // WAL lets readers run beside the writer; busy_timeout makes another process's write lock wait, not fail.
            cmd.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={busyTimeoutMs};";
            cmd.ExecuteNonQuery();
        }
        return new PooledConnection(connection);
    }

    public void Return(PooledConnection connection)
    {
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

    internal sealed class PooledConnection(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, CachedCommand> _commands = new(StringComparer.Ordinal);

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
