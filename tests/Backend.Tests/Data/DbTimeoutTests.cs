using Backend.Configuration;
using Backend.Data;
using Backend.Hosting;

namespace Backend.Tests.Data;

/// <summary>Which time limit a pool gets (<c>-db-timeout</c>, overridden by <c>-db-POOL-timeout</c>) and the
/// parameters' bounds.</summary>
public sealed class DbTimeoutTests
{
    private static BackendConfig Load(params string[] args) =>
        BackendConfig.Load(["-home", Path.GetTempPath(), .. args], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());

    [Fact]
    public void Every_pool_has_30_seconds_by_default()
    {
        var config = Load();
        foreach (var pool in new[] { "sqlite", "pgsql", "mysql", "dynamodb", "redis" }) Assert.Equal(30_000, BackendApplicationBuilder.PoolSettings(config, pool, "url").TimeoutMs);
    }

    [Fact]
    public void A_pool_parameter_overrides_db_timeout_for_that_pool_only()
    {
        var config = Load("-db-timeout", "5000", "-db-pgsql-timeout", "1500");
        Assert.Equal(1500, BackendApplicationBuilder.PoolSettings(config, "pgsql", "url").TimeoutMs);
        Assert.Equal(5000, BackendApplicationBuilder.PoolSettings(config, "sqlite", "url").TimeoutMs);
        Assert.Equal(5000, BackendApplicationBuilder.PoolSettings(config, "redis", "url").TimeoutMs);
        // a pool kind without its own parameter (an app's driver) gets -db-timeout
        Assert.Equal(5000, BackendApplicationBuilder.PoolSettings(config, "custom", "url").TimeoutMs);
    }

    [Theory]
    [InlineData("-db-timeout", "99")]
    [InlineData("-db-sqlite-timeout", "0")]
    [InlineData("-db-redis-timeout", "-1")]
    public void A_limit_under_100_ms_is_refused(string name, string value) =>
        Assert.Throws<ConfigException>(() => Load(name, value));

    [Theory]
    [InlineData(100, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(30_000, 30)]
    [InlineData(int.MaxValue, 2_147_484)]
    public void The_ado_libraries_get_whole_seconds_rounded_up(int ms, int seconds) => Assert.Equal(seconds, DbTimeout.Seconds(ms));
}
