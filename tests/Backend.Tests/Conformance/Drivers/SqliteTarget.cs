using Backend.Data;
using Backend.Data.Sqlite;

namespace Backend.Tests.Conformance;

/// <summary>The embedded SQLite database, a file in the target's temporary home.</summary>
public sealed class SqliteTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "sqlite";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new SqliteDriverFactory();

    /// <inheritdoc />
    protected override string? FindUrl() => Path.Combine(Home, "conformance.db");
}
