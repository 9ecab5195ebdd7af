using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backend.MySql;

/// <summary>The MySQL/MariaDB pool: <c>-db-mysql-pool mysql://user:password@host:port/database?option=value</c>.
/// Options are MySqlConnector connection string keywords (<c>sslmode=required</c>, ...). The pool holds at most
/// <c>-db-max-connections</c> connections and a call that cannot get one within <c>-db-connect-timeout</c> ms fails
/// with 503.</summary>
public sealed class MysqlDriverFactory : IDbDriverFactory
{
    /// <summary>Longest a statement may run, in seconds, before the call fails with 503.</summary>
    public const int CommandTimeoutSeconds = 30;

    /// <inheritdoc />
    public string Kind => "mysql";

    /// <inheritdoc />
    public IDbDriver Create(string url, BackendConfig config, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logs);
        var connectTimeoutMs = config.GetInt("db-connect-timeout");
        var cs = ConnectionString(url, config.GetInt("db-max-connections"), connectTimeoutMs);
        return new MysqlDriver(Kind, cs, connectTimeoutMs, logs.CreateLogger<MysqlDriver>());
    }

    /// <summary>The MySqlConnector connection string for a pool URL; throws <see cref="ConfigException"/> for a malformed one.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs)
    {
        var uri = PoolUrl.Parse(url, "db-mysql-pool", "mysql://user:password@host:port/database", "mysql", "mariadb");
        var b = new MySqlConnectionStringBuilder
        {
            Server = uri.DnsSafeHost,
            Port = (uint)(uri.Port > 0 ? uri.Port : 3306),
            Pooling = true,
            MinimumPoolSize = 0,
            MaximumPoolSize = (uint)Math.Max(1, maxConnections),
            // Whole seconds, rounded up (the driver also bounds the wait in milliseconds).
            ConnectionTimeout = (uint)((connectTimeoutMs + 999) / 1000),
            DefaultCommandTimeout = CommandTimeoutSeconds,
            // Found rows, not changed rows: Update of an existing but unchanged row is 1, as on every other driver.
            UseAffectedRows = false,
            // Every @name in a statement must be a bound parameter.
            AllowUserVariables = false,
            CharacterSet = "utf8mb4",
            ApplicationName = "backend",
        };
        PoolUrl.Apply(uri, b, "db-mysql-pool", "User ID");
        return b.ConnectionString;
    }
}
