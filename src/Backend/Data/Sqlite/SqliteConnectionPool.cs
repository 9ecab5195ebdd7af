using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Backend.Data.Sqlite;

/// <summary>Keeps opened connections with their pragmas applied and their prepared commands cached, so a request
/// costs one statement step instead of open + pragmas + prepare. (Microsoft.Data.Sqlite's own pooling reopens and
/// re-prepares every time.)</summary>
internal sealed class SqliteConnectionPool(string connectionString, int busyTimeoutMs) : IDisposable
{
    private const int MaxIdle = 16;
    private const int MaxCachedCommands = 128;
    private readonly ConcurrentBag<PooledConnection> _idle = [];

    public PooledConnection Rent()
    {
        if (_idle.TryTake(out var c)) return c;
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
        if (_idle.Count < MaxIdle) _idle.Add(connection);
        else connection.Dispose();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var c)) c.Dispose();
    }

    internal sealed class PooledConnection(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public SqliteConnection Connection { get; } = connection;

        /// <summary>A cached command for the SQL text with fresh parameter values bound.</summary>
        public SqliteCommand Command(string sql, IReadOnlyList<object?> parameters, Func<int, string> parameterName)
        {
            if (!_commands.TryGetValue(sql, out var cmd))
            {
                if (_commands.Count >= MaxCachedCommands)
                {
                    foreach (var c in _commands.Values) c.Dispose();
                    _commands.Clear();
                }
                cmd = Connection.CreateCommand();
                cmd.CommandText = sql;
                for (var i = 0; i < parameters.Count; i++) cmd.Parameters.Add(new SqliteParameter(parameterName(i), null));
                _commands[sql] = cmd;
            }
            for (var i = 0; i < parameters.Count; i++) cmd.Parameters[i].Value = parameters[i];
            return cmd;
        }

        public void Dispose()
        {
            foreach (var c in _commands.Values) c.Dispose();
            Connection.Dispose();
        }
    }
}
