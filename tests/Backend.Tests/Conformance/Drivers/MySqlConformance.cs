namespace Backend.Tests.Conformance;

/// <summary>The suite on MySQL/MariaDB.</summary>
public sealed class MySqlConformance(MySqlTarget target) : DbConformanceTests<MySqlTarget>(target);
