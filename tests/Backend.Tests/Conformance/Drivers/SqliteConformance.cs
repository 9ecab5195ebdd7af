namespace Backend.Tests.Conformance;

/// <summary>The suite on the embedded SQLite driver.</summary>
public sealed class SqliteConformance(SqliteTarget target) : DbConformanceTests<SqliteTarget>(target);
