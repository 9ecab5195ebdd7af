using Backend.Configuration;
using Microsoft.Extensions.Logging;

namespace Backend.Data.Sqlite;

/// <summary>The embedded SQLite pool: always present (<c>-db-sqlite-pool</c> defaults to var/backend.db in the home).</summary>
public sealed class SqliteDriverFactory : IDbDriverFactory
{
    /// <inheritdoc />
    public string Kind => "sqlite";

    /// <inheritdoc />
    public IDbDriver Create(string url, BackendConfig config, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logs);
        // A bare name means a file under the home's var/; anything with a slash or an extension is a path.
        var path = !url.Contains('/') && !url.EndsWith(".db", StringComparison.Ordinal) ? config.HomePath("var", url + ".db") : url;
        return new SqliteDriver(Kind, path, config.GetInt("db-busy-timeout"), DbTimeout.For(config, Kind), logs.CreateLogger<SqliteDriver>());
    }
}
