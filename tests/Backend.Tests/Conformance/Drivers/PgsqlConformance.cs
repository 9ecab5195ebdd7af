namespace Backend.Tests.Conformance;

/// <summary>The suite on PostgreSQL.</summary>
public sealed class PgsqlConformance(PgsqlTarget target) : DbConformanceTests<PgsqlTarget>(target);
