using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backend.Configuration;
using Backend.Hosting;
using Backend.PubSub;
using Backend.RabbitMq;
using Backend.Tests.Conformance;
using Backend.Tests.Data;

namespace Backend.Tests.PubSub;

/// <summary>The suite on the <c>amqp</c> kind, on scripts/servers' RabbitMQ: publisher and subscriber are two
/// instances, two connections, each with its own queue.</summary>
public sealed class RabbitMqPubSubSuite : PubSubSuite, IAsyncDisposable
{
    private readonly List<RabbitMqPubSub> _opened = [];

    internal static (string Host, int Port)? Server() =>
        ServerUrls.Find("rabbitmq") is { } hostPort ? (RabbitMqSettings.Parse(hostPort, null) is var s ? (s.Host, s.Port) : default) : null;

    internal static (string Host, int Port) RequireServer()
    {
        if (Server() is { } server) return server;
        var why = "no rabbitmq server: run scripts/servers start rabbitmq";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return default;
    }

    internal static RabbitMqPubSub Create(string host, int port, string? options = null) =>
        new(RabbitMqSettings.Parse($"{host}:{port}", options));

    protected override Task<(IPubSub Publisher, IPubSub Subscriber)> Open()
    {
        var (host, port) = RequireServer();
        var pub = Create(host, port);
        var sub = Create(host, port);
        _opened.Add(pub);
        _opened.Add(sub);
        return Task.FromResult<(IPubSub, IPubSub)>((pub, sub));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in _opened) await bus.DisposeAsync();
    }
}

/// <summary>What only the amqp kind has: its options, its exchange semantics, its behaviour with the broker gone.</summary>
public sealed class RabbitMqPubSubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Channel(string name) => $"t{Environment.ProcessId}:{Guid.NewGuid():N}:{name}";

    private static async Task Eventually(Func<bool> condition, string what, int seconds = 5)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {seconds} s: {what}");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public void Options_read_the_host_the_port_and_every_documented_key()
    {
        var d = RabbitMqSettings.Parse(null, null);
        Assert.Equal(("127.0.0.1", 5672, "guest", "guest", "/", "bk.pubsub"), (d.Host, d.Port, d.User, d.Password, d.VirtualHost, d.Exchange));
        Assert.Equal(("mq.example", 5672), (RabbitMqSettings.Parse("mq.example", null).Host, RabbitMqSettings.Parse("mq.example", null).Port));
        Assert.Equal(("::1", 5999), (RabbitMqSettings.Parse("[::1]:5999", null).Host, RabbitMqSettings.Parse("[::1]:5999", null).Port));
        Assert.Equal("fe80::1", RabbitMqSettings.Parse("fe80::1", null).Host);
        var s = RabbitMqSettings.Parse("10.0.0.1:5673", """
            {"user":"u","password":"p","vhost":"v","exchange":"x.y","ssl":true,"timeout":1500,"recovery":250,"heartbeat":0}
            """);
        Assert.Equal(("10.0.0.1", 5673, "u", "p", "v", "x.y", true), (s.Host, s.Port, s.User, s.Password, s.VirtualHost, s.Exchange, s.Ssl));
        Assert.Equal((1500.0, 250.0, 0.0), (s.ConnectTimeout.TotalMilliseconds, s.RecoveryInterval.TotalMilliseconds, s.Heartbeat.TotalSeconds));
    }

    [Theory]
    [InlineData(null, "{not json", "not JSON")]
    [InlineData(null, "[1]", "expected a JSON object")]
    [InlineData(null, """{"usr":"x"}""", "\"usr\"")]
    [InlineData(null, """{"user":1}""", "\"user\"")]
    [InlineData(null, """{"timeout":"1000"}""", "\"timeout\"")]
    [InlineData(null, """{"recovery":1}""", "\"recovery\"")]
    [InlineData(null, """{"exchange":""}""", "\"exchange\"")]
    [InlineData("host:0", null, "-amqp-host")]
    [InlineData("host:70000", null, "-amqp-host")]
    [InlineData("host:x", null, "-amqp-host")]
    [InlineData("[::1", null, "-amqp-host")]
    [InlineData(":5672", null, "-amqp-host")]
    public void Bad_host_or_options_are_a_config_error_naming_the_problem(string? host, string? options, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => RabbitMqSettings.Parse(host, options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Msg_type_amqp_picks_the_rabbitmq_pub_sub_and_needs_the_provider()
    {
        using var home = new TempDirectory();
        await using var app = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "amqp", "-amqp-host", "127.0.0.1:1"]).AddRabbitMq().Build();
        var bus = Assert.IsType<RabbitMqPubSub>(Backend.Metrics.Metered.Unwrap(app.Services.GetService(typeof(IPubSub))));
        Assert.False(bus.IsConnected); // created lazily: start-up does not wait for the broker

        await using var local = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none"]).AddRabbitMq().Build();
        Assert.IsType<LocalPubSub>(Backend.Metrics.Metered.Unwrap(local.Services.GetService(typeof(IPubSub))));

        var ex = Assert.Throws<ConfigException>(() => { BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "amqp"]).Build(); });
        Assert.Contains("amqp", ex.Message, StringComparison.Ordinal);

        // Bad options stop start-up (the API modules take the pub/sub while the app is built).
        var bad = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "amqp", "-amqp-options", "{\"nope\":1}"]).AddRabbitMq();
        Assert.Contains("\"nope\"", Assert.Throws<ConfigException>(() => { bad.Build(); }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_broker_fails_publishes_and_subscriptions_fast_and_counts_the_publishes()
    {
        var port = ClosedPort();
        await using var bus = RabbitMqPubSubSuite.Create("127.0.0.1", port, """{"timeout":2000,"recovery":60000}""");
        var ex = await Assert.ThrowsAsync<PubSubException>(async () => await bus.PublishAsync("c", "m", Ct));
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        // Within the recovery interval the broker is not asked again: the next calls fail at once.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 10; i++) await Assert.ThrowsAsync<PubSubException>(async () => await bus.PublishAsync("c", "m", Ct));
        Assert.True(watch.ElapsedMilliseconds < 500, $"10 publishes took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(11, bus.PublishFailures);
        Assert.Equal(0, bus.Published);
        await Assert.ThrowsAsync<PubSubException>(async () => await bus.SubscribeAsync("c", _ => { }, Ct));
    }

    [Fact]
    public async Task A_channel_is_an_exact_routing_key_not_a_pattern()
    {
        var (host, port) = RabbitMqPubSubSuite.RequireServer();
        await using var pub = RabbitMqPubSubSuite.Create(host, port);
        await using var sub = RabbitMqPubSubSuite.Create(host, port);
        var c = Channel("x");
        ConcurrentQueue<string> star = new(), hash = new(), exact = new();
        await using var s1 = await sub.SubscribeAsync(c + ".*", star.Enqueue, Ct);
        await using var s2 = await sub.SubscribeAsync(c + ".#", hash.Enqueue, Ct);
        await using var s3 = await sub.SubscribeAsync(c + ".b", exact.Enqueue, Ct);
        await pub.PublishAsync(c + ".b", "to b", Ct);
        await pub.PublishAsync(c + ".*", "to star", Ct);
        await Eventually(() => exact.Count == 1 && star.Count == 1, "both messages");
        await Task.Delay(300, Ct);
        Assert.Equal(["to b"], exact);
        Assert.Equal(["to star"], star);
        Assert.Empty(hash);
        await Assert.ThrowsAsync<ArgumentException>(async () => await pub.PublishAsync(new string('é', 128), "m", Ct));
    }

    [Fact]
    public async Task The_last_unsubscribe_unbinds_so_the_broker_stops_sending()
    {
        var (host, port) = RabbitMqPubSubSuite.RequireServer();
        await using var pub = RabbitMqPubSubSuite.Create(host, port);
        await using var sub = RabbitMqPubSubSuite.Create(host, port);
        var c = Channel("unbind");
        var got = new ConcurrentQueue<string>();
        var s1 = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        var s2 = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        await pub.PublishAsync(c, "1", Ct);
        await Eventually(() => got.Count == 2, "two handlers, one delivery");
        Assert.Equal(1, sub.Received); // one binding however many handlers
        await s1.DisposeAsync();
        await pub.PublishAsync(c, "2", Ct);
        await Eventually(() => got.Count == 3, "the remaining handler");
        await s2.DisposeAsync();
        await pub.PublishAsync(c, "3", Ct);
        // A marker on another channel, published after: once it is here, "3" would have been too.
        var marker = new ConcurrentQueue<string>();
        await using var m = await sub.SubscribeAsync(c + ":marker", marker.Enqueue, Ct);
        await pub.PublishAsync(c + ":marker", "m", Ct);
        await Eventually(() => !marker.IsEmpty, "the marker");
        Assert.Equal(3, sub.Received); // "1", "2" and the marker: "3" never left the exchange
        Assert.Equal(["1", "1", "2"], got);
    }

    [Fact]
    public async Task With_the_broker_away_publishes_fail_fast_and_are_counted_and_subscriptions_come_back_by_themselves()
    {
        var (host, port) = RabbitMqPubSubSuite.RequireServer();
        // Both instances reach the broker through a proxy this test takes down and up again: for them the broker goes
        // away and comes back, while the shared server (and every other test on it) is left alone.
        await using var proxy = new TcpProxy(host, port);
        await using var pub = RabbitMqPubSubSuite.Create("127.0.0.1", proxy.Port, """{"recovery":200,"timeout":2000}""");
        await using var sub = RabbitMqPubSubSuite.Create("127.0.0.1", proxy.Port, """{"recovery":200,"timeout":2000}""");
        var c = Channel("fault");
        var got = new ConcurrentQueue<string>();
        await using var s = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        await pub.PublishAsync(c, "before", Ct);
        await Eventually(() => got.Count == 1, "the first message");

        await proxy.DownAsync();
        await Eventually(() => !pub.IsConnected && !sub.IsConnected, "both connections to notice");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++) await Assert.ThrowsAsync<PubSubException>(async () => await pub.PublishAsync(c, "lost", Ct));
        Assert.True(watch.ElapsedMilliseconds < 1000, $"20 failed publishes took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(20, pub.PublishFailures);

        proxy.Up();
        await Eventually(() => pub.IsConnected && sub.IsConnected, "both connections to recover", seconds: 30);
        // The subscriber's queue and binding were re-declared by recovery; publish until one gets through (the
        // consumer may be re-registered a moment after the connection reports open).
        var until = DateTime.UtcNow.AddSeconds(30);
        for (var n = 0; got.Count == 1; n++)
        {
            Assert.True(DateTime.UtcNow < until, "no message arrived within 30 s of recovery");
            await pub.PublishAsync(c, $"after{n}", Ct);
            await Task.Delay(50, Ct);
        }
        Assert.StartsWith("after", got.Last(), StringComparison.Ordinal);
        Assert.DoesNotContain("lost", got);
        Assert.Equal(20, pub.PublishFailures); // nothing failed after recovery
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A TCP relay on 127.0.0.1 that can be taken down (listener closed, every relayed connection cut) and
    /// brought up again on the same port.</summary>
    private sealed class TcpProxy : IAsyncDisposable
    {
        private readonly string _host;
        private readonly int _target;
        private readonly ConcurrentDictionary<TcpClient, bool> _open = new();
        private TcpListener? _listener;
        private CancellationTokenSource _cts = new();

        public TcpProxy(string host, int target)
        {
            (_host, _target) = (host, target);
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            l.Start();
            Port = ((IPEndPoint)l.LocalEndpoint).Port;
            Run(l);
        }

        public int Port { get; }

        public void Up()
        {
            var l = new TcpListener(IPAddress.Loopback, Port);
            l.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            l.Start();
            Run(l);
        }

        private void Run(TcpListener listener)
        {
            _listener = listener;
            _cts = new CancellationTokenSource();
            var ct = _cts.Token;
            _ = Task.Run(async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    TcpClient inbound;
                    try
                    {
                        inbound = await listener.AcceptTcpClientAsync(ct);
                    }
                    catch (Exception)
                    {
                        return;
                    }
                    _ = Task.Run(() => Relay(inbound, ct), ct);
                }
            }, ct);
        }

        private async Task Relay(TcpClient inbound, CancellationToken ct)
        {
            using var outbound = new TcpClient();
            _open[inbound] = true;
            _open[outbound] = true;
            try
            {
                await outbound.ConnectAsync(_host, _target, ct);
                var a = inbound.GetStream().CopyToAsync(outbound.GetStream(), ct);
                var b = outbound.GetStream().CopyToAsync(inbound.GetStream(), ct);
                await Task.WhenAny(a, b);
            }
            catch (Exception)
            {
                // cut by DownAsync or by either side
            }
            finally
            {
                _open.TryRemove(inbound, out _);
                _open.TryRemove(outbound, out _);
                inbound.Dispose();
            }
        }

        public async Task DownAsync()
        {
            await _cts.CancelAsync();
            _listener?.Stop();
            foreach (var client in _open.Keys)
            {
                try
                {
                    client.Client?.Close(0); // a reset, as a broker that died would give
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await DownAsync();
            _cts.Dispose();
        }
    }
}
