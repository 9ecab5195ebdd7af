using System.Collections.Concurrent;
using System.Diagnostics;
using Backend.Configuration;
using Backend.Hosting;
using Backend.NetMq;
using Backend.PubSub;
using Backend.Tests.Memcached;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Tests.PubSub;

/// <summary>Brokerless nodes on free loopback ports; disposed with the test.</summary>
internal sealed class NetMqNodes : IAsyncDisposable
{
    private readonly List<NetMqPubSub> _nodes = [];

    public NetMqPubSub Start(int port = 0, TimeSpan? confirmTimeout = null)
    {
        var options = NetMqOptions.From([], port, "127.0.0.1");
        var node = new NetMqPubSub(confirmTimeout is { } t ? new NetMqOptions { BindEndpoint = options.BindEndpoint, Port = port, ConfirmTimeout = t } : options);
        _nodes.Add(node);
        return node;
    }

    public static string Endpoint(NetMqPubSub node) => $"tcp://127.0.0.1:{node.Port}";

    /// <summary>Every node listens to every other one (and not to itself).</summary>
    public static async Task Mesh(params NetMqPubSub[] nodes)
    {
        foreach (var node in nodes)
            foreach (var other in nodes.Where(o => o != node)) await node.AddPeerAsync(Endpoint(other));
    }

    public async Task Stop(NetMqPubSub node)
    {
        _nodes.Remove(node);
        await node.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        _nodes.Clear();
    }
}

/// <summary>The suite on the <c>zmq</c> kind: two nodes that list each other, publishing on one, receiving on the
/// other over a real ZeroMQ connection. No test sleeps for the slow joiner: SubscribeAsync returns once the peer has
/// the subscription.</summary>
public sealed class NetMqPubSubSuite : PubSubSuite, IAsyncDisposable
{
    private readonly NetMqNodes _nodes = new();

    protected override async Task<(IPubSub Publisher, IPubSub Subscriber)> Open()
    {
        var (a, b) = (_nodes.Start(), _nodes.Start());
        await NetMqNodes.Mesh(a, b);
        return (a, b);
    }

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();
}

/// <summary>What only the brokerless kind has: several peers, a node listing itself, restarts, its parameters.</summary>
public sealed class NetMqPubSubTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly NetMqNodes _nodes = new();

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();

    private static string Channel(string name) => $"z{Environment.ProcessId}:{Guid.NewGuid():N}:{name}";

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
    public async Task Three_nodes_each_receive_every_nodes_messages_exactly_once()
    {
        NetMqPubSub[] nodes = [_nodes.Start(), _nodes.Start(), _nodes.Start()];
        await NetMqNodes.Mesh(nodes);
        var c = Channel("three");
        var got = nodes.Select(_ => new ConcurrentQueue<string>()).ToArray();
        var subs = new List<IAsyncDisposable>();
        for (var i = 0; i < nodes.Length; i++) subs.Add(await nodes[i].SubscribeAsync(c, got[i].Enqueue, Ct));
        for (var i = 0; i < nodes.Length; i++)
            for (var k = 0; k < 5; k++) await nodes[i].PublishAsync(c, $"n{i}:{k}", Ct);
        await Eventually(() => got.All(q => q.Count >= 15), "15 messages on every node");
        await Task.Delay(300, Ct); // a duplicate would arrive in this time
        string[] all = [.. Enumerable.Range(0, 3).SelectMany(i => Enumerable.Range(0, 5).Select(k => $"n{i}:{k}"))];
        foreach (var q in got)
        {
            Assert.Equal(all.Order(StringComparer.Ordinal), q.Order(StringComparer.Ordinal)); // each once, the own ones included
            for (var i = 0; i < 3; i++) // and each publisher's in its order
                Assert.Equal(Enumerable.Range(0, 5).Select(k => $"n{i}:{k}"), q.Where(m => m.StartsWith($"n{i}:", StringComparison.Ordinal)));
        }
        foreach (var s in subs) await s.DisposeAsync();
    }

    [Fact]
    public async Task A_node_listing_itself_delivers_its_own_messages_once()
    {
        var (a, b) = (_nodes.Start(), _nodes.Start());
        await NetMqNodes.Mesh(a, b);
        await a.AddPeerAsync(NetMqNodes.Endpoint(a)); // as a shared -msg-host list naming every node would
        await a.AddPeerAsync($"tcp://localhost:{a.Port}"); // and by another name
        var c = Channel("self");
        ConcurrentQueue<string> onA = new(), onB = new();
        await using var sa = await a.SubscribeAsync(c, onA.Enqueue, Ct);
        await using var sb = await b.SubscribeAsync(c, onB.Enqueue, Ct);
        var until = DateTime.UtcNow.AddSeconds(5);
        while (await a.PeerCountAsync() != 1) // a closes its connections to itself when their welcome names it
        {
            Assert.True(DateTime.UtcNow < until, $"a still has {await a.PeerCountAsync()} peers");
            await Task.Delay(10, Ct);
        }
        await a.PublishAsync(c, "from a", Ct);
        await b.PublishAsync(c, "from b", Ct);
        await Eventually(() => onA.Count >= 2 && onB.Count >= 2, "both messages on both nodes");
        await Task.Delay(300, Ct);
        Assert.Equal(["from a", "from b"], onA.Order(StringComparer.Ordinal));
        Assert.Equal(["from a", "from b"], onB.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_subscriber_does_not_get_a_channel_its_name_prefixes()
    {
        var (a, b) = (_nodes.Start(), _nodes.Start());
        await NetMqNodes.Mesh(a, b);
        var c = Channel("p");
        var got = new ConcurrentQueue<string>();
        await using var s = await b.SubscribeAsync(c, got.Enqueue, Ct);
        await a.PublishAsync(c + "x", "longer", Ct); // ZeroMQ's filter lets this through to a subscriber of c
        await a.PublishAsync(c, "exact", Ct);
        await Eventually(() => !got.IsEmpty, "the exact channel's message");
        await Task.Delay(300, Ct);
        Assert.Equal(["exact"], got);
    }

    [Fact]
    public async Task A_node_restarted_on_its_port_is_reconnected_both_ways()
    {
        var (a, b) = (_nodes.Start(), _nodes.Start());
        await NetMqNodes.Mesh(a, b);
        var port = a.Port;
        var c = Channel("restart");
        var onB = new ConcurrentQueue<string>();
        await using var sb = await b.SubscribeAsync(c, onB.Enqueue, Ct);
        await a.PublishAsync(c, "before", Ct);
        await Eventually(() => onB.Contains("before"), "the first node's message");

        await _nodes.Stop(a);
        var a2 = _nodes.Start(port);
        await a2.AddPeerAsync(NetMqNodes.Endpoint(b));
        // b reconnects by itself and sends its subscription again; when is not known, so a2 publishes until it arrives.
        var until = DateTime.UtcNow.AddSeconds(15);
        while (!onB.Contains("after"))
        {
            Assert.True(DateTime.UtcNow < until, "b never received from the restarted node");
            await a2.PublishAsync(c, "after", Ct);
            await Task.Delay(50, Ct);
        }
        // And the restarted node receives b's messages on a subscription made after it started.
        var onA2 = new ConcurrentQueue<string>();
        await using var sa2 = await a2.SubscribeAsync(c, onA2.Enqueue, Ct);
        await b.PublishAsync(c, "to the new node", Ct);
        await Eventually(() => onA2.Contains("to the new node"), "b's message on the restarted node");
    }

    [Fact]
    public async Task A_peer_that_is_down_delays_the_first_subscription_only_up_to_the_timeout()
    {
        var node = _nodes.Start(confirmTimeout: TimeSpan.FromSeconds(1.5));
        await node.AddPeerAsync($"tcp://127.0.0.1:{MemcachedServers.FreePort()}");
        var watch = Stopwatch.StartNew();
        await using var first = await node.SubscribeAsync(Channel("down1"), _ => { }, Ct);
        var waited = watch.Elapsed;
        Assert.InRange(waited, TimeSpan.FromSeconds(1.2), TimeSpan.FromSeconds(10)); // it did wait for the unknown peer, and gave up
        watch.Restart();
        await using var second = await node.SubscribeAsync(Channel("down2"), _ => { }, Ct);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the second subscription waited {watch.Elapsed} for a silent peer");
        // Local delivery does not depend on the peer.
        var got = new ConcurrentQueue<string>();
        var c = Channel("local");
        await using var third = await node.SubscribeAsync(c, got.Enqueue, Ct);
        await node.PublishAsync(c, "here", Ct);
        await Eventually(() => got.Contains("here"), "the local message");
    }

    [Fact]
    public async Task Disposing_a_node_is_quick_and_later_calls_fail()
    {
        var (a, b) = (_nodes.Start(), _nodes.Start());
        await NetMqNodes.Mesh(a, b);
        await b.AddPeerAsync($"tcp://127.0.0.1:{MemcachedServers.FreePort()}"); // a dead peer must not hold up closing
        _ = await b.SubscribeAsync(Channel("open"), _ => { }, Ct);
        await b.PublishAsync(Channel("open"), "x", Ct);
        var watch = Stopwatch.StartNew();
        await _nodes.Stop(b);
        await b.DisposeAsync(); // twice is harmless
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"dispose took {watch.Elapsed}");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => b.PublishAsync("c", "m", Ct).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => b.SubscribeAsync("c", _ => { }, Ct).AsTask());
    }

    [Theory]
    [InlineData("host:notaport", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("host:0", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("host:70000", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("a b:1", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("::1:5", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("[::1:5", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("10.0.0.1:5,10.0.0.1:5", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("10.0.0.1,10.0.0.1:20198", 20198, "127.0.0.1", "-msg-host")]
    [InlineData("10.0.0.1", 0, "127.0.0.1", "-msg-host")]
    [InlineData("", 20198, "example.com", "-msg-bind")]
    [InlineData("", 20198, "eth0", "-msg-bind")]
    [InlineData("", 70000, "127.0.0.1", "-msg-port")]
    public void Bad_parameters_are_config_errors_naming_the_parameter(string hosts, int port, string bind, string parameter)
    {
        var ex = Assert.Throws<ConfigException>(() => NetMqOptions.From(hosts.Split(',', StringSplitOptions.RemoveEmptyEntries), port, bind));
        Assert.StartsWith($"invalid value for {parameter}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_make_the_endpoints()
    {
        var o = NetMqOptions.From(["10.0.0.1", "node2:7000", "[::1]:7001", " ", "Node2:7002"], 20200, "*");
        Assert.Equal("tcp://*:20200", o.BindEndpoint);
        Assert.Equal(["tcp://10.0.0.1:20200", "tcp://node2:7000", "tcp://[::1]:7001", "tcp://Node2:7002"], o.Peers);
        Assert.Equal("tcp://127.0.0.1:20198", NetMqOptions.From([], 20198, null).BindEndpoint); // loopback unless told
        Assert.Equal("tcp://127.0.0.1:1", NetMqOptions.From([], 1, "localhost").BindEndpoint);
        Assert.Equal("tcp://[::1]:1", NetMqOptions.From([], 1, "::1").BindEndpoint);
    }

    [Theory]
    [InlineData("zmq")]
    [InlineData("nanomsg")]
    public async Task Msg_type_zmq_or_nanomsg_picks_the_brokerless_kind(string kind)
    {
        using var home = new Backend.Tests.Data.TempDirectory();
        await using var app = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", kind, "-msg-port", "0", "-msg-host", "127.0.0.1:1"])
            .AddNetMq().Build();
        var bus = Assert.IsType<NetMqPubSub>(Backend.Metrics.Metered.Unwrap(app.Services.GetRequiredService<IPubSub>()));
        Assert.NotEqual(0, bus.Port);
        Assert.Equal(["tcp://127.0.0.1:1"], NetMqBuilderExtensions.Options(app.Services.GetRequiredService<BackendConfig>()).Peers);
    }

    [Fact]
    public void Without_AddNetMq_zmq_is_not_a_kind_and_a_bad_peer_stops_the_build()
    {
        using var home = new Backend.Tests.Data.TempDirectory();
        var ex = Assert.Throws<ConfigException>(() => BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "zmq"]).Build());
        Assert.Contains("-msg-type", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ConfigException>(() => BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "zmq", "-msg-port", "65536"]).AddNetMq().Build());
        Assert.Contains("msg-port", ex.Message, StringComparison.Ordinal);
        // The node is made while the application is built (the account API takes the pub/sub), so a bad peer stops it there.
        ex = Assert.Throws<ConfigException>(() => BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-msg-type", "zmq", "-msg-port", "0", "-msg-host", "peer:x"]).AddNetMq().Build());
        Assert.StartsWith("invalid value for -msg-host", ex.Message, StringComparison.Ordinal);
    }
}
