using System.Collections.Concurrent;
using System.Diagnostics;
using Backend.Api;
using Backend.Hosting;
using Backend.PubSub;
using Backend.Redis;
using Backend.Tests.Cache;
using Backend.Tests.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.PubSub;

/// <summary>The suite on the <c>redis</c> kind: publisher and subscriber on two connections, as two processes.</summary>
public sealed class RedisPubSubSuite : PubSubSuite, IAsyncDisposable
{
    private readonly List<RedisPubSub> _opened = [];

    internal static RedisPubSub Connect(string host, int port, string? options = null) =>
        new(RedisBuilderExtensions.CacheOptions(host, port, options), NullLogger<RedisPubSub>.Instance);

    protected override Task<(IPubSub Publisher, IPubSub Subscriber)> Open()
    {
        var (host, port) = RedisCacheSuite.RequireServer();
        var publisher = Connect(host, port, """{"timeout":5000}""");
        var subscriber = Connect(host, port, """{"timeout":5000}""");
        _opened.Add(publisher);
        _opened.Add(subscriber);
        return Task.FromResult<(IPubSub, IPubSub)>((publisher, subscriber));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in _opened) await bus.DisposeAsync();
    }
}

/// <summary>What the Redis kind adds: fail fast while the server is down, account events that survive it, and the
/// kind chosen by <c>-msg-type</c>.</summary>
public sealed class RedisPubSubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task With_the_server_down_publish_and_subscribe_fail_fast_and_are_counted()
    {
        await using var bus = RedisPubSubSuite.Connect("127.0.0.1", ClosedPort(), """{"timeout":300}""");
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<PubSubException>(() => bus.PublishAsync("c", "m", Ct).AsTask());
        await Assert.ThrowsAsync<PubSubException>(() => bus.SubscribeAsync("c", _ => { }, Ct).AsTask());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"took {watch.Elapsed}");
        Assert.Equal(2, bus.FailedCount);
    }

    [Fact]
    public async Task An_account_event_the_transport_cannot_send_is_counted_and_logged_once_not_thrown()
    {
        await using var bus = RedisPubSubSuite.Connect("127.0.0.1", ClosedPort(), """{"timeout":300}""");
        var log = new ListLogger();
        var events = new AccountEvents(bus, TimeProvider.System, log, []);
        for (var i = 0; i < 3; i++) await events.Publish("acc", "/connection/add", "like", "other", cancellationToken: Ct);
        Assert.Equal(3, events.Failed);
        Assert.Single(log.Lines, l => l.Contains("account events are not delivered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Msg_type_redis_picks_the_redis_kind_and_an_unknown_kind_stops_start_up()
    {
        using var home = new TempDirectory();
        await using var local = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none"]).Build();
        Assert.IsType<LocalPubSub>(Backend.Metrics.Metered.Unwrap(local.Services.GetService(typeof(IPubSub))));
        await using var redis = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "redis", "-redis-port", "1"]).AddRedis().Build();
        Assert.IsType<RedisPubSub>(Backend.Metrics.Metered.Unwrap(redis.Services.GetService(typeof(IPubSub))));
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "carrier-pigeon"]);
        var ex = Assert.Throws<Backend.Configuration.ConfigException>(() => { builder.Build(); });
        Assert.Contains("not a registered pub/sub kind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_server_restarts_subscribers_receive_again_without_a_restart_of_theirs()
    {
        using var server = new RedisProcess();
        await using var pub = RedisPubSubSuite.Connect("127.0.0.1", server.Port, """{"timeout":500}""");
        await using var sub = RedisPubSubSuite.Connect("127.0.0.1", server.Port, """{"timeout":500}""");
        var got = new ConcurrentQueue<string>();
        await using var s = await sub.SubscribeAsync("restart", got.Enqueue, Ct);
        await pub.PublishAsync("restart", "before", Ct);
        await Until(() => got.Contains("before"), "the first message");

        server.Kill();
        await Assert.ThrowsAsync<PubSubException>(async () =>
        {
            // The first publish after the kill may still find the socket open; one of the next ones fails fast.
            for (var i = 0; i < 50; i++)
            {
                await pub.PublishAsync("restart", "lost", Ct);
                await Task.Delay(100, Ct);
            }
        });

        server.Start();
        // Both sides reconnect by themselves and the subscriber's channel is subscribed again.
        await Until(() =>
        {
            try
            {
                pub.PublishAsync("restart", "after", Ct).AsTask().GetAwaiter().GetResult();
            }
            catch (PubSubException)
            {
                // not reconnected yet
            }
            return got.Contains("after");
        }, "a message after the restart");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"not within 20 s: {what}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>A logger keeping its lines.</summary>
    private sealed class ListLogger : ILogger<AccountEvents>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
