using Microsoft.Extensions.Logging;

namespace Backend.Data.Sqlite;

/// <summary>The embedded SQLite pool: always present (<c>-db-sqlite-pool</c> defaults to var/backend.db in the home).
/// <c>-db-sqlite-max</c> is the number of idle connections kept open (with their prepared statements); more
/// concurrent calls open more and close them after use.</summary>
/// <param name="busyTimeoutMs">Milliseconds SQLite waits on a locked database (<c>-db-busy-timeout</c>).</param>
public sealed class SqliteDriverFactory(int busyTimeoutMs = SqliteDriverFactory.DefaultBusyTimeoutMs) : IDbDriverFactory
{
    /// <summary>The default of <c>-db-busy-timeout</c>.</summary>
    public const int DefaultBusyTimeoutMs = 30_000;

    /// <inheritdoc />
    public string Kind => "sqlite";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        var url = settings.Url;
        // A bare name means a file under the home's var/; anything with a slash or an extension is a path.
        var path = !url.Contains('/') && !url.EndsWith(".db", StringComparison.Ordinal) ? Path.Combine(settings.DataDirectory, url + ".db") : url;
        return new SqliteDriver(Kind, path, busyTimeoutMs, settings.TimeoutMs, logs.CreateLogger<SqliteDriver>(), settings.MaxConnections);
    }
}
