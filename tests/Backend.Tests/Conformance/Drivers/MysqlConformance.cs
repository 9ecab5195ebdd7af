namespace Backend.Tests.Conformance;

/// <summary>The suite on MySQL/MariaDB.</summary>
public sealed class MysqlConformance(MysqlTarget target) : DbConformanceTests<MysqlTarget>(target);
