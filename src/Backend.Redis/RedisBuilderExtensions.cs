using Backend.Redis;

namespace Backend.Hosting;

/// <summary>Registers the Redis driver on the builder.</summary>
public static class RedisBuilderExtensions
{
    /// <summary>Adds the <c>redis</c> pool kind: the pool is created when <c>-db-redis-pool</c> is set.</summary>
    public static BackendApplicationBuilder AddRedis(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDbDriver(new RedisDriverFactory());
    }
}
