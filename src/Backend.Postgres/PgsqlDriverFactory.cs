using System.Globalization;
using Backend.Configuration;
using Backend.Data;
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
        const string Usage = "invalid -db-pgsql-pool: expected postgresql://user:password@host:port/database";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres" or "pgsql") || uri.Host.Length == 0)
            throw new ConfigException(Usage);
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
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) b.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            b.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).Replace('_', ' ');
            var value = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                b[key] = value;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
            {
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture, $"invalid -db-pgsql-pool option {key}: {ex.Message}"));
            }
        }
        return b.ConnectionString;
    }
}
