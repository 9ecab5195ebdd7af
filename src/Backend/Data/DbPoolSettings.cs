namespace Backend.Data;

/// <summary>The typed settings of one database pool, read once from the configuration by the composition root and
/// handed to its <see cref="IDbDriverFactory"/>: a factory never looks configuration up by name.
/// <para>The parameters behind each value (the reference's names, see docs/configuration.md): <c>-db-KIND-pool</c>
/// (<see cref="Url"/>), <c>-db-KIND-max</c> else <c>-db-max-connections</c>, <c>-db-KIND-min</c>, <c>-db-KIND-idle</c>,
/// <c>-db-connect-timeout</c>, <c>-db-KIND-timeout</c> else <c>-db-timeout</c>. What a driver does with each value is
/// its own: a driver without a connection pool ignores <see cref="MinConnections"/> and <see cref="IdleTimeoutMs"/>.</para></summary>
/// <param name="Kind">The pool kind and name: sqlite, pgsql, mysql, dynamodb, redis, or a third party's.</param>
/// <param name="Url">The pool's URL or file as configured.</param>
public sealed record DbPoolSettings(string Kind, string Url)
{
    /// <summary>The default of <see cref="MaxConnections"/> (<c>-db-max-connections</c>).</summary>
    public const int DefaultMaxConnections = 20;

    /// <summary>Most connections the pool holds (an embedded database: most idle connections it keeps open).</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>Connections the pool keeps open even when idle.</summary>
    public int MinConnections { get; init; }

    /// <summary>Milliseconds an idle connection is kept before it is closed; null for the client library's default.</summary>
    public int? IdleTimeoutMs { get; init; }

    /// <summary>Milliseconds to wait for a connection before the call fails with 503.</summary>
    public int ConnectTimeoutMs { get; init; } = 3000;

    /// <summary>Milliseconds a call may run before it is stopped and answered 504 (see <see cref="DbTimeout"/>).</summary>
    public int TimeoutMs { get; init; } = DbTimeout.DefaultMs;

    /// <summary>The directory where an embedded database named by a bare name (no slash, no extension) is kept: the
    /// home's <c>var/</c>.</summary>
    public string DataDirectory { get; init; } = ".";
}
