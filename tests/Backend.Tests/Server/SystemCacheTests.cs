using Backend.Tests.Conformance;

namespace Backend.Tests.Server;

/// <summary><c>/system/cache/*</c> on the server's default <c>local</c> cache: every operation, admins only, and clear
/// errors for bad input.</summary>
public sealed class SystemCacheTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static string Key(string name) => $"sys-{Guid.NewGuid():N}:{name}";

    [Fact]
    public async Task Every_cache_operation_works_for_an_admin()
    {
        using var admin = fixture.Client(fixture.Admin);
        var k = Key("a");
        ApiAssert.Ok(await admin.Get("/system/cache/put", ("name", k), ("value", "hello")));
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", k))).Json, "value", "hello");
        ApiAssert.Ok(await admin.Get("/system/cache/set", ("name", k), ("value", "again")));
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", k))).Json, "value", "again");

        var n = Key("n");
        ApiAssert.Property((await admin.Get("/system/cache/incr", ("name", n))).Json, "value", "1");
        ApiAssert.Property((await admin.Get("/system/cache/incr", ("name", n), ("value", "41"))).Json, "value", "42");
        ApiAssert.Property((await admin.Get("/system/cache/incr", ("name", n), ("value", "-2"))).Json, "value", "40");

        var keys = (await admin.Get("/system/cache/keys", ("pattern", k[..20] + "*"))).Array;
        Assert.Equal([k], keys.Select(x => x!.ToString()));

        var stats = (await admin.Get("/system/cache/stats")).Object;
        Assert.Equal("local", stats["kind"]!.ToString());
        Assert.True(stats["count"]!.GetValue<long>() >= 2);

        ApiAssert.Property((await admin.Get("/system/cache/del", ("name", k))).Json, "deleted", "true");
        ApiAssert.Property((await admin.Get("/system/cache/del", ("name", k))).Json, "deleted", "false");
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", k))).Json, "value", null);

        ApiAssert.Ok(await admin.Get("/system/cache/clear", ("pattern", n)));
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", n))).Json, "value", null);
    }

    [Fact]
    public async Task A_value_put_with_a_ttl_is_gone_after_it()
    {
        using var admin = fixture.Client(fixture.Admin);
        var k = Key("ttl");
        ApiAssert.Ok(await admin.Get("/system/cache/put", ("name", k), ("value", "v"), ("ttl", "200")));
        await Task.Delay(400, TestContext.Current.CancellationToken);
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", k))).Json, "value", null);
    }

    [Fact]
    public async Task The_system_api_is_for_admins_only()
    {
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        foreach (var op in new[] { "init", "stats", "keys", "get", "set", "put", "incr", "del", "clear" })
            ApiAssert.Error(await client.Get($"/system/cache/{op}", ("name", "x"), ("value", "1")), 403);
        using var anonymous = fixture.Client();
        ApiAssert.Error(await anonymous.Get("/system/cache/get", ("name", "x")), 400, "Invalid request: no login provided");
    }

    [Fact]
    public async Task Bad_input_is_a_400_and_an_unknown_operation_a_404()
    {
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Error(await admin.Get("/system/cache/get"), 400, "name is required");
        ApiAssert.Error(await admin.Get("/system/cache/put", ("name", "x")), 400, "value is required");
        ApiAssert.Error(await admin.Get("/system/cache/incr", ("name", "x"), ("value", "one")), 400, "value must be an integer");
        ApiAssert.Error(await admin.Get("/system/cache/put", ("name", "x"), ("value", "1"), ("ttl", "-5")), 400);
        ApiAssert.Error(await admin.Get("/system/cache/keys", ("_count", "0")), 400);
        ApiAssert.Error(await admin.Get("/system/cache/flush"), 404);
        ApiAssert.Property((await admin.Get("/system/cache/get", ("name", "x"))).Json, "value", null); // nothing written
    }
}

/// <summary>A server with <c>-api-unsecure system</c>.</summary>
public sealed class SystemUnsecureFixture : AdminServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-unsecure", "system"];
}

/// <summary><c>-api-unsecure system</c> opens the cache to every signed-in account, as the reference allowed.</summary>
public sealed class SystemUnsecureTests(SystemUnsecureFixture fixture) : IClassFixture<SystemUnsecureFixture>
{
    [Fact]
    public async Task A_signed_in_account_may_use_the_cache_and_an_anonymous_one_may_not()
    {
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        var k = $"unsecure-{Guid.NewGuid():N}";
        ApiAssert.Ok(await client.Get("/system/cache/put", ("name", k), ("value", "v")));
        ApiAssert.Property((await client.Get("/system/cache/get", ("name", k))).Json, "value", "v");
        using var anonymous = fixture.Client();
        ApiAssert.Error(await anonymous.Get("/system/cache/get", ("name", k)), 400, "Invalid request: no login provided");
    }
}

/// <summary>Two servers on one shared cache: what one puts, the other reads. One pair per shared kind.</summary>
public abstract class SharedCacheFixture : IAsyncLifetime
{
    /// <summary>The cache arguments of both servers, or null when the cache server is not there.</summary>
    protected abstract string[]? CacheArguments();

    /// <summary>The cache arguments (for other two-node fixtures on the same cache), or null.</summary>
    public string[]? Arguments() => CacheArguments();

    protected abstract string Server { get; }

    public AdminServerFixture? A { get; private set; }
    public AdminServerFixture? B { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (CacheArguments() is not { } args) return;
        A = new Node(args);
        B = new Node(args);
        await A.InitializeAsync();
        await B.InitializeAsync();
    }

    /// <summary>Skips (fails under CI) without the cache server.</summary>
    public (AdminServerFixture A, AdminServerFixture B) Require()
    {
        if (A is not null && B is not null) return (A, B);
        var why = $"no {Server} server: run scripts/servers start {Server}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private sealed class Node(string[] args) : AdminServerFixture
    {
        protected override IEnumerable<string> Arguments => args;
    }
}

public sealed class RedisSharedCacheFixture : SharedCacheFixture
{
    protected override string Server => "redis";

    protected override string[]? CacheArguments() =>
        ServerUrls.Find("redis") is { } url && new Uri(url.Contains("://", StringComparison.Ordinal) ? url : "redis://" + url) is var uri
            ? ["-cache-type", "redis", "-redis-host", uri.Host, "-redis-port", uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : null;
}

public sealed class MemcacheSharedCacheFixture : SharedCacheFixture
{
    protected override string Server => "memcached";

    protected override string[]? CacheArguments() =>
        ServerUrls.Find("memcached") is { } host ? ["-cache-type", "memcache", "-memcache-host", host] : null;
}

/// <summary>What one node puts in a shared cache, another node reads and counts on.</summary>
public abstract class SharedCacheTests(SharedCacheFixture fixture)
{
    [Fact]
    public async Task A_value_put_on_one_node_is_read_and_counted_on_the_other()
    {
        var (a, b) = fixture.Require();
        using var ca = a.Client(a.Admin);
        using var cb = b.Client(b.Admin);
        var k = $"shared-{Guid.NewGuid():N}";
        ApiAssert.Ok(await ca.Get("/system/cache/put", ("name", k), ("value", "from a")));
        ApiAssert.Property((await cb.Get("/system/cache/get", ("name", k))).Json, "value", "from a");
        ApiAssert.Property((await ca.Get("/system/cache/incr", ("name", k + ":n"), ("value", "2"))).Json, "value", "2");
        ApiAssert.Property((await cb.Get("/system/cache/incr", ("name", k + ":n"), ("value", "3"))).Json, "value", "5");
        ApiAssert.Property((await cb.Get("/system/cache/del", ("name", k))).Json, "deleted", "true");
        ApiAssert.Property((await ca.Get("/system/cache/get", ("name", k))).Json, "value", null);
    }
}

public sealed class RedisSharedCacheTests(RedisSharedCacheFixture fixture) : SharedCacheTests(fixture), IClassFixture<RedisSharedCacheFixture>;

public sealed class MemcacheSharedCacheTests(MemcacheSharedCacheFixture fixture) : SharedCacheTests(fixture), IClassFixture<MemcacheSharedCacheFixture>;
