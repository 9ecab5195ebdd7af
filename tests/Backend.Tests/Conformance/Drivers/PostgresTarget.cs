using Backend.Data;
using Backend.Postgres;

namespace Backend.Tests.Conformance;

/// <summary>The PostgreSQL test server (scripts/servers start pgsql).</summary>
public sealed class PostgresTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "pgsql";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new PostgresDriverFactory();
}
