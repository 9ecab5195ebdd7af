using System.Globalization;
using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.Lmdb;

/// <summary>The LMDB pool: <c>-db-lmdb-pool NAME</c> (a bare name: the directory <c>var/lmdb/NAME</c> of the home) or
/// <c>-db-lmdb-pool PATH</c> (a directory), optionally followed by <c>?mapsize=MB&amp;maxdbs=N</c>: the map size in
/// MiB (default 1024; the file grows sparsely up to it, and a write past it fails with a 500 naming this option)
/// and the most named databases (default 1024; one per table plus one per index, plus one). Every driver of this
/// process over the same directory shares one LMDB environment. <c>-db-lmdb-timeout</c> (else <c>-db-timeout</c>)
/// bounds a scan and the wait for the write lock.</summary>
public sealed class LmdbDriverFactory : IDbDriverFactory
{
    /// <summary>The default map size, MiB.</summary>
    public const int DefaultMapSizeMb = 1024;

    /// <summary>The default number of named databases.</summary>
    public const int DefaultMaxDatabases = 1024;

    /// <inheritdoc />
    public string Kind => "lmdb";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        var (path, mapSizeMb, maxDbs) = Parse(settings.Url, settings.DataDirectory);
        var store = LmdbStore.Acquire(path, (long)mapSizeMb << 20, maxDbs);
        return new LmdbDriver(Kind, store, settings.TimeoutMs, logs.CreateLogger<LmdbDriver>());
    }

    /// <summary>The directory, map size (MiB) and maximum of named databases of a pool URL; a
    /// <see cref="ConfigException"/> for a malformed one.</summary>
    public static (string Path, int MapSizeMb, int MaxDatabases) Parse(string url, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        if (string.IsNullOrWhiteSpace(url)) throw Invalid(url, "empty");
        var q = url.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? url : url[..q];
        if (path.StartsWith("lmdb://", StringComparison.Ordinal)) path = path["lmdb://".Length..];
        if (path.Length == 0) throw Invalid(url, "no directory");
        if (!path.Contains('/', StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal))
            path = System.IO.Path.Combine(dataDirectory, "lmdb", path);
        int mapSize = DefaultMapSizeMb, maxDbs = DefaultMaxDatabases;
        if (q >= 0)
        {
            foreach (var part in url[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? part : part[..eq];
                var value = eq < 0 ? "" : part[(eq + 1)..];
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                    throw Invalid(url, $"{name} must be a positive number");
                switch (name)
                {
                    case "mapsize": mapSize = n; break;
                    case "maxdbs": maxDbs = n; break;
                    default: throw Invalid(url, $"unknown option {name} (mapsize, maxdbs)");
                }
            }
        }
        return (path, mapSize, maxDbs);
    }

    private static ConfigException Invalid(string url, string why) => new($"invalid value for -db-lmdb-pool: \"{url}\": {why}");
}
