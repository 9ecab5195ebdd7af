namespace Backend.Tests.Conformance;

/// <summary>The suite on PostgreSQL.</summary>
public sealed class PostgresConformance(PostgresTarget target) : DbConformanceTests<PostgresTarget>(target);
