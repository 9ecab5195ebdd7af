namespace Backend.Tests.Conformance;

/// <summary>The suite on the Redis driver.</summary>
public sealed class RedisConformance(RedisTarget target) : DbConformanceTests<RedisTarget>(target);
