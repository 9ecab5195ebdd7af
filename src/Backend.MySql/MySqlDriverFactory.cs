using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backend.MySql;

/// <summary>The MySQL/MariaDB pool: <c>-db-mysql-pool mysql://user:password@host:port/database?option=value</c>.
/// Options are MySqlConnector connection string keywords (<c>sslmode=required</c>, ...). The pool holds at most
/// <c>-db-mysql-max</c> (else <c>-db-max-connections</c>) connections and a call that cannot get one within <c>-db-connect-timeout</c> ms fails
/// with 503.</summary>
public sealed class MySqlDriverFactory : IDbDriverFactory
{
    /// <summary>The time limit of a statement, in seconds, of <see cref="ConnectionString(string, int, int)"/> (the
    /// default of <c>-db-timeout</c>); past it the call fails with 504.</summary>
    public const int CommandTimeoutSeconds = 30;

    /// <inheritdoc />
    public string Kind => "mysql";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        return new MySqlDriver(Kind, ConnectionString(settings), settings.ConnectTimeoutMs, logs.CreateLogger<MySqlDriver>());
    }

    /// <summary>The MySqlConnector connection string of a pool: its URL with the pool's sizes (<c>-db-mysql-max</c>,
    /// <c>-db-mysql-min</c>), idle timeout (<c>-db-mysql-idle</c>, whole seconds rounded up) and time limits.
    /// Throws <see cref="ConfigException"/> for a malformed URL.</summary>
    public static string ConnectionString(DbPoolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var b = new MySqlConnectionStringBuilder(ConnectionString(settings.Url, settings.MaxConnections, settings.ConnectTimeoutMs, settings.TimeoutMs));
        b.MinimumPoolSize = (uint)Math.Min(Math.Max(0, settings.MinConnections), b.MaximumPoolSize);
        if (settings.IdleTimeoutMs is { } idle) b.ConnectionIdleTimeout = (uint)DbTimeout.Seconds(idle);
        return b.ConnectionString;
    }

    /// <summary>The MySqlConnector connection string for a pool URL with the default time limit of a statement
    /// (<see cref="CommandTimeoutSeconds"/>); throws <see cref="ConfigException"/> for a malformed one.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs) =>
        ConnectionString(url, maxConnections, connectTimeoutMs, CommandTimeoutSeconds * 1000);

    /// <summary>The MySqlConnector connection string for a pool URL; its default command timeout is
    /// <paramref name="timeoutMs"/> rounded up to whole seconds. Throws <see cref="ConfigException"/> for a malformed URL.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs, int timeoutMs)
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
            DefaultCommandTimeout = (uint)DbTimeout.Seconds(timeoutMs),
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
