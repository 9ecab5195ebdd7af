using Backend.Redis;
using StackExchange.Redis;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Scripts run by SHA1 and load themselves when the server does not know them (NOSCRIPT).</summary>
public sealed class RedisScriptTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    [Fact]
    public async Task A_script_the_server_has_never_seen_is_loaded_on_NOSCRIPT_then_called_by_hash()
    {
        var raw = targets.Raw();
        // A text no server has seen, so the first EVALSHA is answered NOSCRIPT.
        var marker = Guid.NewGuid().ToString("N");
        var script = new RedisScript($"return ARGV[1] .. '-{marker}'");
        Assert.Equal(0L, (long)((RedisResult[])(await raw.ExecuteAsync("SCRIPT", "EXISTS", Convert.ToHexStringLower(script.Sha1)))!)[0]);
        Assert.Equal($"a-{marker}", (string?)await script.EvaluateAsync(raw, [], ["a"]));
        Assert.Equal(1L, (long)((RedisResult[])(await raw.ExecuteAsync("SCRIPT", "EXISTS", Convert.ToHexStringLower(script.Sha1)))!)[0]);
        Assert.Equal($"b-{marker}", (string?)await script.EvaluateAsync(raw, [], ["b"]));
    }

    [Fact]
    public void The_hash_is_the_one_redis_computes()
    {
        // SHA1("return 1") as printed by SCRIPT LOAD.
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", Convert.ToHexStringLower(new RedisScript("return 1").Sha1));
    }
}
