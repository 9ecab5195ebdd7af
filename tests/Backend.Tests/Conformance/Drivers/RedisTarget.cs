using Backend.Data;
using Backend.Redis;

namespace Backend.Tests.Conformance;

/// <summary>The Redis server scripts/servers starts (<c>redis://127.0.0.1:6380</c>). Tests never see each other's rows:
/// every table name carries the test's prefix, and so do all of its Redis keys.</summary>
public sealed class RedisTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "redis";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new RedisDriverFactory();
}
