using System.Collections.Concurrent;
using Backend.Auth;
using Backend.Cache;
using Backend.Memcached;
using Backend.Hosting;
using Backend.Redis;
using Backend.Tests.Cache;
using Backend.Tests.Memcached;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Auth;

/// <summary>Sessions in a shared cache, on the real servers: what one store (node) starts another finds, even a store
/// opened after the first is gone (a restart); end, end-all (secret change, deletion), expiry by TTL and by the clock,
/// the per-account bound, and a server that is down. One subclass per shared kind.</summary>
public abstract class SharedSessionStoreSuite : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _opened = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new client of the shared server (another node); skips (fails under CI) without the server.</summary>
    protected abstract ICache OpenCache();

    /// <summary>A client of a server that is not there.</summary>
    protected abstract ICache OpenDeadCache();

    private ICache Track(ICache cache)
    {
        _opened.Add(cache as IAsyncDisposable ?? new Disposer((IDisposable)cache));
        return cache;
    }

    private SharedSessionStore Store(int maxPerAccount = 100, TimeProvider? time = null, ILogger<SharedSessionStore>? log = null) =>
        new(Track(OpenCache()), maxPerAccount, time ?? TimeProvider.System, log ?? NullLogger<SharedSessionStore>.Instance);

    private static string Login() => $"session-{Guid.NewGuid():N}@test.com";

    private static long In(TimeSpan span, TimeProvider? time = null) => (time ?? TimeProvider.System).GetUtcNow().Add(span).ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_session_started_on_one_node_is_found_on_another_and_after_a_restart_until_it_ends()
    {
        var login = Login();
        var a = Store();
        var id = await a.StartAsync(login, "header-1", In(TimeSpan.FromMinutes(5)), Ct);
        Assert.Equal(43, id.Length);
        Assert.Equal("header-1", await Store().FindAsync(id, Ct));

        // Every client of the first "node" gone: a new one still finds it.
        foreach (var opened in _opened) await opened.DisposeAsync();
        _opened.Clear();
        var b = Store();
        Assert.Equal("header-1", await b.FindAsync(id, Ct));

        await b.EndAsync(id, Ct);
        Assert.Null(await Store().FindAsync(id, Ct));
        await b.EndAsync(id, Ct); // twice is fine
    }

    [Fact]
    public async Task Unknown_forged_and_oversized_ids_find_nothing_without_an_error()
    {
        var store = Store();
        Assert.Null(await store.FindAsync(null, Ct));
        Assert.Null(await store.FindAsync("forged", Ct));
        Assert.Null(await store.FindAsync(SessionStore.NewId(), Ct));
        Assert.Null(await store.FindAsync(new string('a', 400), Ct));
        Assert.Null(await store.FindAsync("with space and % and \n in it, forty-three characters", Ct));
        await store.EndAsync("forged", Ct);
        Assert.Equal(0, store.Failures);
    }

    [Fact]
    public async Task A_session_goes_by_itself_when_its_age_is_over()
    {
        var store = Store();
        var cache = Track(OpenCache());
        // Connected first: a first connection can take most of the session's second.
        Assert.Null(await store.FindAsync(SessionStore.NewId(), Ct));
        Assert.Null(await cache.GetAsync("warm-up", Ct));
        var id = await store.StartAsync(Login(), "h", In(TimeSpan.FromMilliseconds(1000)), Ct);
        Assert.Equal("h", await store.FindAsync(id, Ct));
        // memcached counts TTLs in whole seconds and its clock ticks once a second.
        await Task.Delay(2100, Ct);
        Assert.Null(await store.FindAsync(id, Ct));
        Assert.Null(await cache.GetAsync(SharedSessionStore.Key(id), Ct)); // gone from the server, not just refused
    }

    [Fact]
    public async Task A_session_is_refused_at_its_expiry_by_the_clock_before_the_server_drops_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = Store(time: time);
        var id = await store.StartAsync(Login(), "h", In(TimeSpan.FromMinutes(10), time), Ct);
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal("h", await store.FindAsync(id, Ct));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await store.FindAsync(id, Ct));
        // Already expired when started (-api-session-age 0): nothing is kept.
        var none = await store.StartAsync(Login(), "h", In(TimeSpan.Zero, time), Ct);
        Assert.Null(await store.FindAsync(none, Ct));
        Assert.Null(await Track(OpenCache()).GetAsync(SharedSessionStore.Key(none), Ct));
    }

    [Fact]
    public async Task Over_the_per_account_bound_the_oldest_sessions_of_that_account_end_and_no_others()
    {
        var login = Login();
        var other = Login();
        var a = Store(maxPerAccount: 3);
        var b = Store(maxPerAccount: 3); // two nodes starting sessions of the same account
        var expires = In(TimeSpan.FromMinutes(5));
        var others = await a.StartAsync(other, "o", expires, Ct);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await (i % 2 == 0 ? a : b).StartAsync(login, $"h{i}", expires, Ct));
        var reader = Store(maxPerAccount: 3);
        Assert.Null(await reader.FindAsync(ids[0], Ct));
        Assert.Null(await reader.FindAsync(ids[1], Ct));
        for (var i = 2; i < 5; i++) Assert.Equal($"h{i}", await reader.FindAsync(ids[i], Ct));
        Assert.Equal("o", await reader.FindAsync(others, Ct));
    }

    [Fact]
    public async Task Ending_all_sessions_of_an_account_ends_them_on_every_node_and_new_ones_work()
    {
        var login = Login();
        var other = Login();
        var a = Store();
        var b = Store();
        var expires = In(TimeSpan.FromMinutes(5));
        var s1 = await a.StartAsync(login, "1", expires, Ct);
        var s2 = await b.StartAsync(login, "2", expires, Ct);
        var o = await a.StartAsync(other, "o", expires, Ct);
        Assert.Equal("1", await b.FindAsync(s1, Ct));

        await a.EndAllAsync(login, Ct);

        Assert.Null(await b.FindAsync(s1, Ct));
        Assert.Null(await b.FindAsync(s2, Ct));
        Assert.Null(await Track(OpenCache()).GetAsync(SharedSessionStore.Key(s1), Ct)); // refused and deleted
        Assert.Equal("o", await b.FindAsync(o, Ct));
        var s3 = await b.StartAsync(login, "3", expires, Ct);
        Assert.Equal("3", await a.FindAsync(s3, Ct));
    }

    [Fact]
    public async Task A_server_that_is_down_fails_with_a_cache_error_counted_and_logged_once()
    {
        var log = new ListLogger();
        var store = new SharedSessionStore(Track(OpenDeadCache()), 10, TimeProvider.System, log);
        await Assert.ThrowsAsync<CacheException>(() => store.FindAsync(SessionStore.NewId(), Ct).AsTask());
        await Assert.ThrowsAsync<CacheException>(() => store.StartAsync(Login(), "h", In(TimeSpan.FromMinutes(1)), Ct).AsTask());
        await Assert.ThrowsAsync<CacheException>(() => store.EndAsync(SessionStore.NewId(), Ct).AsTask());
        await Assert.ThrowsAsync<CacheException>(() => store.EndAllAsync(Login(), Ct).AsTask());
        Assert.Equal(4, store.Failures);
        Assert.Single(log.Lines, l => l.Contains("cookie sessions are unavailable", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var opened in _opened) await opened.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private sealed class Disposer(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A logger keeping its lines.</summary>
    private sealed class ListLogger : ILogger<SharedSessionStore>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

/// <summary>Sessions in the <c>redis</c> cache. In the collection of the Redis cache tests, whose clear of every cache
/// key must not run meanwhile.</summary>
[Collection("redis-cache")]
public sealed class RedisSharedSessionStoreTests : SharedSessionStoreSuite
{
    protected override ICache OpenCache()
    {
        var (host, port) = RedisCacheSuite.RequireServer();
        return new RedisCache(RedisBuilderExtensions.CacheOptions(host, port, """{"timeout":5000}"""));
    }

    protected override ICache OpenDeadCache() =>
        new RedisCache(RedisBuilderExtensions.CacheOptions("127.0.0.1", MemcachedServers.FreePort(), """{"timeout":300}"""));
}

/// <summary>Sessions in the <c>memcache</c> cache.</summary>
public sealed class MemcacheSharedSessionStoreTests : SharedSessionStoreSuite
{
    protected override ICache OpenCache() => new MemcacheCache(MemcachedServers.SharedClient());

    protected override ICache OpenDeadCache() => new MemcacheCache(MemcachedServers.Client([$"127.0.0.1:{MemcachedServers.FreePort()}"]));
}

/// <summary>The session store follows the cache kind: in-process with <c>local</c>, shared otherwise.</summary>
public sealed class SessionStoreKindTests
{
    [Fact]
    public async Task The_session_store_is_in_process_with_the_local_cache_and_shared_with_a_shared_one()
    {
        using var home = new Backend.Tests.Data.TempDirectory();
        await using var local = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none"]).Build();
        Assert.IsType<SessionStore>(local.Services.GetService(typeof(ISessionStore)));

        await using var redis = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-cache-type", "redis", "-redis-port", "1", "-api-session-max-per-account", "7"]).AddRedis().Build();
        Assert.Equal(7, Assert.IsType<SharedSessionStore>(redis.Services.GetService(typeof(ISessionStore))).MaxPerAccount);

        await using var memcache = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-cache-type", "memcache", "-memcache-host", "127.0.0.1:1"]).AddMemcached().Build();
        Assert.IsType<SharedSessionStore>(memcache.Services.GetService(typeof(ISessionStore)));
    }
}
