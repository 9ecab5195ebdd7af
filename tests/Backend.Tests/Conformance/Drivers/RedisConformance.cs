namespace Backend.Tests.Conformance;

/// <summary>The suite on the Redis driver: batches are one Lua script (atomic), LIKE follows SQLite.</summary>
public sealed class RedisConformance(RedisTarget target) : DbConformanceTests<RedisTarget>(target)
{
    /// <inheritdoc />
    protected override bool HasAtomicBatch => true;

    /// <inheritdoc />
    protected override bool SupportsLike => true;
}
