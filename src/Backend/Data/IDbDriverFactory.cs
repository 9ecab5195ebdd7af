using Microsoft.Extensions.Logging;

namespace Backend.Data;

/// <summary>Creates the pool of one driver kind: <c>-db-KIND-pool URL</c> makes a pool named KIND. Driver assemblies
/// (Backend.Postgres, ...) provide one and register it with <c>builder.AddDbDriver(...)</c> (or their
/// <c>AddPostgres()</c>-style extension). The factory gets the pool's typed settings, never the configuration.</summary>
public interface IDbDriverFactory
{
    /// <summary>Pool kind and name: sqlite, pgsql, mysql, dynamodb, redis.</summary>
    string Kind { get; }

    /// <summary>Creates the driver for a configured pool; throws <see cref="Configuration.ConfigException"/> for a
    /// malformed URL.</summary>
    IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs);
}
