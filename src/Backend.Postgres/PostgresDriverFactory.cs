using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Backend.Postgres;

/// <summary>The PostgreSQL pool: <c>-db-pgsql-pool postgresql://user:password@host:port/database?option=value</c>.
/// Options are Npgsql connection string keywords (<c>sslmode=require</c>, ...). The pool holds at most
/// <c>-db-pgsql-max</c> (else <c>-db-max-connections</c>) connections and a call that cannot get one within <c>-db-connect-timeout</c> ms fails
/// with 503.</summary>
public sealed class PostgresDriverFactory : IDbDriverFactory
{
    /// <summary>The time limit of a statement, in seconds, of <see cref="ConnectionString(string, int, int)"/> (the
    /// default of <c>-db-timeout</c>); past it the call fails with 504.</summary>
    public const int CommandTimeoutSeconds = 30;

    /// <summary>How often, in ms, PostgreSQL checks that the client of a running statement is still connected
    /// (<c>client_connection_check_interval</c>, sent at connect; an <c>options</c> pool URL option replaces it).</summary>
    private const int ClientCheckIntervalMs = 500;

    /// <inheritdoc />
    public string Kind => "pgsql";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        return new PostgresDriver(Kind, ConnectionString(settings), settings.ConnectTimeoutMs, logs.CreateLogger<PostgresDriver>());
    }

    /// <summary>The Npgsql connection string of a pool: its URL with the pool's sizes (<c>-db-pgsql-max</c>,
    /// <c>-db-pgsql-min</c>), idle lifetime (<c>-db-pgsql-idle</c>, whole seconds rounded up) and time limits.
    /// Throws <see cref="ConfigException"/> for a malformed URL.</summary>
    public static string ConnectionString(DbPoolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var b = new NpgsqlConnectionStringBuilder(ConnectionString(settings.Url, settings.MaxConnections, settings.ConnectTimeoutMs, settings.TimeoutMs));
        b.MinPoolSize = Math.Min(settings.MinConnections, b.MaxPoolSize);
        if (settings.IdleTimeoutMs is { } idle) b.ConnectionIdleLifetime = DbTimeout.Seconds(idle);
        return b.ConnectionString;
    }

    /// <summary>The Npgsql connection string for a pool URL with the default time limit of a statement
    /// (<see cref="CommandTimeoutSeconds"/>); throws <see cref="ConfigException"/> for a malformed one.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs) =>
        ConnectionString(url, maxConnections, connectTimeoutMs, CommandTimeoutSeconds * 1000);

    /// <summary>The Npgsql connection string for a pool URL; its command timeout is <paramref name="timeoutMs"/> rounded
    /// up to whole seconds. Throws <see cref="ConfigException"/> for a malformed URL.</summary>
    public static string ConnectionString(string url, int maxConnections, int connectTimeoutMs, int timeoutMs)
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
            CommandTimeout = DbTimeout.Seconds(timeoutMs),
            ApplicationName = "backend",
            // A statement whose client connection is gone stops within half a second. Npgsql normally cancels a
            // statement on the server when its call is cancelled (the HTTP client disconnected), but when the cancel
            // request cannot be delivered or confirmed in time it drops the connection instead, and PostgreSQL only
            // notices a dropped client when it next writes to it: an expensive search would run on for minutes.
            // PostgreSQL 14 or later; for an older server pass options= (empty) or other options in the pool URL.
            Options = "-c client_connection_check_interval=" + ClientCheckIntervalMs,
        };
        PoolUrl.Apply(uri, b, "db-pgsql-pool", "Username");
        return b.ConnectionString;
    }
}
