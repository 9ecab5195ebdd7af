using System.Globalization;
using Backend.Configuration;
using Backend.Data;
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
        const string Usage = "invalid -db-mysql-pool: expected mysql://user:password@host:port/database";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("mysql" or "mariadb") || uri.Host.Length == 0)
            throw new ConfigException(Usage);
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
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) b.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            b.UserID = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
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
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture, $"invalid -db-mysql-pool option {key}: {ex.Message}"));
            }
        }
        return b.ConnectionString;
    }
}
