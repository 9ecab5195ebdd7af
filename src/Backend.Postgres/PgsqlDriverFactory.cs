using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Backend.Postgres;

/// <summary>The PostgreSQL pool: <c>-db-pgsql-pool postgresql://user:password@host:port/database?option=value</c>.
/// Options are Npgsql connection string keywords (<c>sslmode=require</c>, ...). The pool holds at most
/// <c>-db-max-connections</c> connections and a call that cannot get one within <c>-db-connect-timeout</c> ms fails
/// with 503.</summary>
public sealed class PgsqlDriverFactory : IDbDriverFactory
{
    /// <summary>Longest a statement may run, in seconds, before the call fails with 503.</summary>
    public const int CommandTimeoutSeconds = 30;

    /// <inheritdoc />
    public string Kind => "pgsql";

    /// <inheritdoc />
    public IDbDriver Create(string url, BackendConfig config, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logs);
        var connectTimeoutMs = config.GetInt("db-connect-timeout");
        var cs = ConnectionString(url, config.GetInt("db-max-connections"), connectTimeoutMs);
        return new PgsqlDriver(Kind, cs, connectTimeoutMs, logs.CreateLogger<PgsqlDriver>());
    }

    /// <summary>The Npgsql connection string for a pool URL; throws <see cref="ConfigException"/> for a malformed one.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs)
    {
        var uri = PoolUrl.Parse(url, "db-pgsql-pool", "postgresql://user:password@host:port/database", "postgresql", "postgres", "pgsql");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.DnsSafeHost,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Pooling = true,
            MinPoolSize = 0,
            MaxPoolSize = Math.Max(1, maxConnections),
            // Whole seconds, rounded up (the driver also bounds the wait in milliseconds).
            Timeout = Math.Min(1024, (connectTimeoutMs + 999) / 1000),
            CommandTimeout = CommandTimeoutSeconds,
            ApplicationName = "backend",
        };
        PoolUrl.Apply(uri, b, "db-pgsql-pool", "Username");
        return b.ConnectionString;
    }
}
