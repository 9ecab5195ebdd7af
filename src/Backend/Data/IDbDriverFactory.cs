using Backend.Configuration;
using Microsoft.Extensions.Logging;

namespace Backend.Data;

/// <summary>Creates the pool of one driver kind from configuration: <c>-db-KIND-pool URL</c> makes a pool named
/// KIND. Driver assemblies (Backend.Postgres, ...) provide one and register it with
/// <c>builder.AddDbDriver(...)</c> (or their <c>AddPostgres()</c>-style extension).</summary>
public interface IDbDriverFactory
{
    /// <summary>Pool kind and name: sqlite, pgsql, mysql, dynamodb, redis.</summary>
    string Kind { get; }

    /// <summary>Creates the driver for a configured URL; throws <see cref="ConfigException"/> for a malformed one.</summary>
    IDbDriver Create(string url, BackendConfig config, ILoggerFactory logs);
}
