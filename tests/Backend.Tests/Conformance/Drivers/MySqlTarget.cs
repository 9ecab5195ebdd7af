using Backend.Data;
using Backend.MySql;

namespace Backend.Tests.Conformance;

/// <summary>The MySQL/MariaDB test server (scripts/servers start mysql).</summary>
public sealed class MySqlTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "mysql";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new MySqlDriverFactory();
}
