using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>The Redis pool: <c>-db-redis-pool redis://[[user]:password@]host[:port][/db]</c> (<c>rediss://</c> for TLS).
/// One multiplexed connection is shared by every request of the pool; <c>-db-connect-timeout</c> bounds connecting
/// and every command, <c>-db-redis-timeout</c> (else <c>-db-timeout</c>) a call of many round trips. The server may be down at start-up or go away later: calls answer 503 at once while it is
/// unreachable and the connection comes back by itself.</summary>
public sealed class RedisDriverFactory : IDbDriverFactory
{
    /// <inheritdoc />
    public string Kind => "redis";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        var options = Parse(settings.Url, settings.ConnectTimeoutMs);
        return new RedisDriver(Kind, options, settings.TimeoutMs, logs.CreateLogger<RedisDriver>());
    }

    /// <summary>Connection options from a pool URL; a <see cref="ConfigException"/> for a malformed one.</summary>
    public static ConfigurationOptions Parse(string url, int timeoutMs)
    {
        if (string.IsNullOrWhiteSpace(url)) throw Invalid(url, "empty");
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "redis://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || uri.Host.Length == 0)
            throw Invalid(url, "expected redis://[[user]:password@]host[:port][/db]");
        var path = uri.AbsolutePath.Trim('/');
        var db = 0;
        if (path.Length > 0 && (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out db) || db > 15_999))
            throw Invalid(url, "the path must be a database number");
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = timeoutMs,
            SyncTimeout = timeoutMs,
            AsyncTimeout = timeoutMs,
            ConnectRetry = 1,
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new LinearRetry(Math.Min(timeoutMs, 1000)),
            ClientName = "backendcs",
            DefaultDatabase = db,
            Ssl = uri.Scheme == "rediss",
        };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? (options.Ssl ? 6380 : 6379) : uri.Port);
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? "" : uri.UserInfo[..colon]);
            var password = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
            if (user.Length > 0) options.User = user;
            if (password.Length > 0) options.Password = password;
        }
        return options;
    }

    private static ConfigException Invalid(string url, string why) =>
        new($"invalid value for -db-redis-pool: \"{Redact(url)}\": {why}");

    private static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var start = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && start >= 0 && at > start ? url[..(start + 3)] + "***" + url[at..] : url;
    }
}
