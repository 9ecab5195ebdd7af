using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Backend.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetMQ;
using NetMQ.Sockets;

namespace Backend.NetMq;

/// <summary>Brokerless pub/sub (the reference's nanomsg mode): this node's XPUB socket publishes to whoever connects,
/// one SUB socket per <c>-msg-host</c> peer receives. Design, frames and limits: README.md next to this file.
/// <para>Threading: NetMQ sockets are not thread-safe, so one poller thread owns every socket and all the state marked
/// "poller thread" below; other threads talk to it through two <see cref="NetMQQueue{T}"/>s (publishes, commands).
/// Handlers run on one dispatcher task, never on the poller thread, in arrival order.</para></summary>
internal sealed partial class NetMqPubSub : IPubSub, IAsyncDisposable, IDisposable
{
    /// <summary>ZeroMQ's per-connection queue limit, in messages, for the PUB side of each subscriber and the SUB side
    /// of each peer (ZeroMQ's default is 1000; a burst of a few thousand events must not be cut).</summary>
    internal const int HighWatermark = 10_000;

    /// <summary>Publishes waiting for the poller thread, and deliveries waiting for handlers, at most; beyond that a
    /// message is dropped and logged (fire and forget, like the PUB socket itself at its high-water mark).</summary>
    internal const int QueueLimit = 65_536;

    // First byte of the first frame: what the frame is. ZeroMQ filters subscriptions by byte prefix, so each kind has
    // its own prefix; 'm' (channels) sorts before 'p' (probes), which matters when a SUB re-sends its subscriptions.
    private const byte MessageTag = (byte)'m', ProbeTag = (byte)'p', WelcomeTag = (byte)'w';

    private readonly NetMqOptions _options;
    private readonly ILogger _logger;
    private readonly byte[] _id = RandomNumberGenerator.GetBytes(16);
    private readonly XPublisherSocket _pub;
    private readonly NetMQQueue<Outgoing> _outgoing = new();
    private readonly NetMQQueue<Action> _commands = new();
    private readonly NetMQTimer _timer = new(TimeSpan.FromMilliseconds(100));
    private readonly NetMQPoller _poller = [];
    private readonly Channel<Delivery> _deliveries = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(QueueLimit)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite answers false when full: the message is dropped and counted
    });
    private readonly Task _dispatcher;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Entry> _channels = new(StringComparer.Ordinal);
    private int _pendingOut;
    private long _dropped;
    private int _disposed;

    // Poller thread only.
    private readonly List<Peer> _peers = [];
    private readonly HashSet<string> _socketChannels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Probe> _probes = new(StringComparer.Ordinal);
    private List<byte[]>? _frames = [];

    [ThreadStatic]
    private static bool t_dispatching;

    public NetMqPubSub(NetMqOptions options, ILogger<NetMqPubSub>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger<NetMqPubSub>.Instance;
        _pub = new XPublisherSocket();
        try
        {
            Configure(_pub);
            _pub.Options.SendHighWatermark = HighWatermark;
            // Every subscriber that connects gets this first, on its new connection: it says the connection is up
            // (subscriptions made before it are already on the wire) and who answered (a node listed as its own peer).
            _pub.SetWelcomeMessage([WelcomeTag, .. _id]);
            Port = Bind(_pub, options);
        }
        catch
        {
            _pub.Dispose();
            _outgoing.Dispose();
            _commands.Dispose();
            throw;
        }
        _pub.ReceiveReady += (_, _) => AnswerProbes();
        _outgoing.ReceiveReady += (_, _) => SendOutgoing();
        _commands.ReceiveReady += (_, _) => RunCommands();
        _timer.Elapsed += (_, _) => ExpireProbes();
        _poller.Add(_pub);
        _poller.Add(_outgoing);
        _poller.Add(_commands);
        _poller.Add(_timer);
        foreach (var peer in options.Peers) _commands.Enqueue(() => Connect(peer, null));
        _dispatcher = Task.Run(DispatchAsync);
        _poller.RunAsync("bkcs pubsub");
    }

    /// <summary>The port the PUB socket listens on (the chosen one when <c>-msg-port</c> is 0).</summary>
    internal int Port { get; }

    /// <summary>Messages dropped because a queue was full.</summary>
    internal long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Connects to one more peer (<c>tcp://host:port</c>); done when its SUB socket exists and has every current
    /// subscription. For tests, whose nodes learn each other's free ports only after binding.</summary>
    internal Task AddPeerAsync(string endpoint)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Enqueue(() => Connect(endpoint, done));
        return done.Task;
    }

    /// <summary>Peers with a SUB socket (a peer found to be this node is closed and not counted).</summary>
    internal Task<int> PeerCountAsync()
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Enqueue(() => done.TrySetResult(_peers.Count));
        return done.Task;
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // This node's own subscribers get it here, once; the node never receives its own messages from the network
        // (it has no SUB socket on itself: see OnWelcome).
        if (_channels.TryGetValue(channel, out var entry)) Deliver(new Delivery(entry.Handlers, channel, message));
        if (Interlocked.Increment(ref _pendingOut) > QueueLimit)
        {
            Interlocked.Decrement(ref _pendingOut);
            Dropped1(channel, "the publish queue is full");
            return ValueTask.CompletedTask;
        }
        try
        {
            _outgoing.Enqueue(new Outgoing(Topic(channel), Encoding.UTF8.GetBytes(message)));
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: the message goes nowhere, as it would a moment later.
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>The first subscription to a channel returns once every peer that is up has confirmed it (the answer
    /// to a probe sent after it on the same connection), so a message published after this returns reaches it: ZeroMQ
    /// alone would drop what is published while the subscription travels (the "slow joiner"). A peer that does not
    /// answer within <see cref="NetMqOptions.ConfirmTimeout"/> is not waited for again until it is heard from.</remarks>
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, channel, handler);
        Task ready;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_channels.TryGetValue(channel, out var entry))
            {
                _channels[channel] = entry with { Handlers = entry.Handlers.Add(subscription) };
                ready = entry.Ready.Task;
            }
            else
            {
                var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _channels[channel] = new Entry([subscription], confirmed);
                _commands.Enqueue(() => SubscribeSockets(channel, confirmed));
                ready = confirmed.Task;
            }
        }
        try
        {
            await ready.WaitAsync(cancellationToken);
        }
        catch
        {
            await subscription.DisposeAsync();
            throw;
        }
        return subscription;
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_gate)
        {
            if (!_channels.TryGetValue(subscription.Channel, out var entry)) return;
            var next = entry.Handlers.Remove(subscription);
            if (!next.IsEmpty)
            {
                _channels[subscription.Channel] = entry with { Handlers = next };
                return;
            }
            _channels.TryRemove(subscription.Channel, out _);
            // Sockets subscribe and unsubscribe in the order the commands are queued, which the lock makes the order of
            // the channel's first subscribe and last unsubscribe.
            if (_disposed == 0) _commands.Enqueue(() => UnsubscribeSockets(subscription.Channel));
        }
    }

    private void Deliver(Delivery delivery)
    {
        if (!_deliveries.Writer.TryWrite(delivery)) Dropped1(delivery.Channel, "handlers are behind");
    }

    private void Dropped1(string channel, string why)
    {
        var n = Interlocked.Increment(ref _dropped);
        if (n == 1 || n % 10_000 == 0) LogDropped(_logger, channel, why, n);
    }

    private async Task DispatchAsync()
    {
        t_dispatching = true;
        await foreach (var d in _deliveries.Reader.ReadAllAsync())
        {
            foreach (var s in d.Handlers)
            {
                if (s.IsDisposed) continue;
                try
                {
                    s.Handler(d.Message);
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(_logger, ex, d.Channel);
                }
            }
        }
    }

    // ---- Poller thread ----

    private static void Configure(NetMQSocket socket)
    {
        // Closing must not wait for unsent messages (pub/sub loses them anyway), or Dispose would hang on a dead peer.
        socket.Options.Linger = TimeSpan.Zero;
        // A peer that went away without closing its connection (power loss, network cut) is noticed within seconds,
        // and the SUB side reconnects; retries back off to 2 s so a peer that is down costs little.
        socket.Options.HeartbeatInterval = TimeSpan.FromSeconds(2);
        socket.Options.HeartbeatTimeout = TimeSpan.FromSeconds(6);
        socket.Options.ReconnectInterval = TimeSpan.FromMilliseconds(100);
        socket.Options.ReconnectIntervalMax = TimeSpan.FromSeconds(2);
    }

    private static int Bind(XPublisherSocket pub, NetMqOptions options)
    {
        var endpoint = options.BindEndpoint;
        // A node restarted on its port may find the old listener not yet closed: give it a moment.
        var until = Environment.TickCount64 + 2000;
        while (true)
        {
            try
            {
                if (options.Port != 0)
                {
                    pub.Bind(endpoint);
                    return options.Port;
                }
                return pub.BindRandomPort(endpoint[..endpoint.LastIndexOf(':')]);
            }
            catch (AddressAlreadyInUseException) when (Environment.TickCount64 < until)
            {
                Thread.Sleep(50);
            }
            catch (NetMQException ex)
            {
                throw new IOException($"pub/sub: cannot listen on {endpoint} (-msg-bind, -msg-port): {ex.Message}", ex);
            }
        }
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command, TimeSpan.Zero)) command();
    }

    private void SendOutgoing()
    {
        // A bounded batch, so a flood of publishes does not starve the sockets that receive.
        for (var n = 0; n < 1000 && _outgoing.TryDequeue(out var m, TimeSpan.Zero); n++)
        {
            Interlocked.Decrement(ref _pendingOut);
            // Never blocks: an XPUB drops the message for a subscriber whose queue is at the high-water mark.
            _pub.SendMoreFrame(m.Topic).SendFrame(m.Payload);
        }
    }

    /// <summary>The XPUB socket hands up every new subscription (a byte 1, then the topic). A probe topic is answered
    /// with a message on that topic, which only the prober subscribes: it arrives after every subscription the prober
    /// made before the probe, since one connection keeps their order.</summary>
    private void AnswerProbes()
    {
        for (var n = 0; n < 1000 && _pub.TryReceiveFrameBytes(out var frame); n++)
        {
            if (frame.Length > 1 && frame[0] == 1 && frame[1] == ProbeTag) _pub.SendFrame(frame[1..]);
        }
    }

    private void Connect(string endpoint, TaskCompletionSource? done)
    {
        SubscriberSocket? socket = null;
        try
        {
            socket = new SubscriberSocket();
            Configure(socket);
            socket.Options.ReceiveHighWatermark = HighWatermark;
            var peer = new Peer(endpoint, socket);
            socket.Subscribe([WelcomeTag]);
            foreach (var channel in _socketChannels) socket.Subscribe(Topic(channel));
            socket.ReceiveReady += (_, _) => Receive(peer);
            socket.Connect(endpoint);
            _poller.Add(socket);
            _peers.Add(peer);
            socket = null;
        }
        catch (Exception ex)
        {
            // An address ZeroMQ cannot use (a name that does not resolve): the other peers still work.
            LogPeerFailed(_logger, ex, endpoint);
            socket?.Dispose();
        }
        done?.TrySetResult();
    }

    private void Receive(Peer peer)
    {
        for (var n = 0; n < 1000 && !peer.Closed; n++)
        {
            _frames!.Clear();
            if (!peer.Socket.TryReceiveMultipartBytes(ref _frames)) return;
            var first = _frames[0];
            if (first.Length == 0) continue;
            switch (first[0])
            {
                case MessageTag when _frames.Count == 2:
                    peer.State = PeerState.Up;
                    // Exact match here: the SUB's prefix filter lets channel "ab" through to a subscriber of "a".
                    var channel = Encoding.UTF8.GetString(first.AsSpan(1));
                    if (_channels.TryGetValue(channel, out var entry)) Deliver(new Delivery(entry.Handlers, channel, Encoding.UTF8.GetString(_frames[1])));
                    break;
                case ProbeTag:
                    peer.State = PeerState.Up;
                    if (_probes.TryGetValue(Convert.ToHexString(first), out var probe) && probe.Waiting.Remove(peer) && probe.Waiting.Count == 0) Finish(probe);
                    break;
                case WelcomeTag:
                    OnWelcome(peer, first);
                    break;
            }
        }
    }

    private void OnWelcome(Peer peer, byte[] welcome)
    {
        if (welcome.AsSpan(1).SequenceEqual(_id))
        {
            // -msg-host lists this node itself (by any name): its own subscribers already get its messages from
            // PublishAsync, so this connection would deliver them twice. Closed after this event.
            LogSelf(_logger, peer.Endpoint);
            peer.Closed = true;
            _peers.Remove(peer);
            foreach (var probe in _probes.Values.ToList())
                if (probe.Waiting.Remove(peer) && probe.Waiting.Count == 0) Finish(probe);
            _commands.Enqueue(() => _poller.RemoveAndDispose(peer.Socket));
            return;
        }
        peer.State = PeerState.Up;
        // The connection is attached, so the subscriptions made so far are on it: a probe sent now comes after them.
        foreach (var probe in _probes.Values)
            if (probe.Waiting.Contains(peer) && probe.Subscribed.Add(peer)) peer.Socket.Subscribe(probe.Topic);
    }

    private void SubscribeSockets(string channel, TaskCompletionSource confirmed)
    {
        _socketChannels.Add(channel);
        var topic = Topic(channel);
        foreach (var peer in _peers) peer.Socket.Subscribe(topic);
        var probe = new Probe([ProbeTag, .. RandomNumberGenerator.GetBytes(16)], confirmed, Environment.TickCount64 + (long)_options.ConfirmTimeout.TotalMilliseconds);
        foreach (var peer in _peers)
        {
            if (peer.State == PeerState.Silent) continue;
            probe.Waiting.Add(peer);
            // A peer not yet heard from gets the probe when its welcome arrives (OnWelcome): before the connection is
            // attached, ZeroMQ would send the subscriptions in its own order, not ours.
            if (peer.State == PeerState.Up && probe.Subscribed.Add(peer)) peer.Socket.Subscribe(probe.Topic);
        }
        if (probe.Waiting.Count == 0) confirmed.TrySetResult();
        else _probes.Add(Convert.ToHexString(probe.Topic), probe);
    }

    private void UnsubscribeSockets(string channel)
    {
        if (!_socketChannels.Remove(channel)) return;
        var topic = Topic(channel);
        foreach (var peer in _peers) peer.Socket.Unsubscribe(topic);
    }

    private void Finish(Probe probe)
    {
        _probes.Remove(Convert.ToHexString(probe.Topic));
        foreach (var peer in probe.Subscribed)
            if (!peer.Closed) peer.Socket.Unsubscribe(probe.Topic);
        probe.Confirmed.TrySetResult();
    }

    private void ExpireProbes()
    {
        if (_probes.Count == 0) return;
        var now = Environment.TickCount64;
        foreach (var probe in _probes.Values.Where(p => now >= p.Deadline).ToList())
        {
            foreach (var peer in probe.Waiting)
            {
                // Down, or slow beyond reason: later subscriptions do not wait for it until it is heard from again.
                if (peer.State != PeerState.Silent) LogSilent(_logger, peer.Endpoint, _options.ConfirmTimeout.TotalMilliseconds);
                peer.State = PeerState.Silent;
            }
            probe.Waiting.Clear();
            Finish(probe);
        }
    }

    private static byte[] Topic(string channel)
    {
        var topic = new byte[1 + Encoding.UTF8.GetByteCount(channel)];
        topic[0] = MessageTag;
        Encoding.UTF8.GetBytes(channel, topic.AsSpan(1));
        return topic;
    }

    // ---- Disposal ----

    public void Dispose()
    {
        if (!Stop()) return;
        if (!t_dispatching) _dispatcher.Wait(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        if (!Stop()) return;
        // A handler that disposes the bus would wait for itself.
        if (t_dispatching) return;
        try
        {
            await _dispatcher.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A handler that does not return; the bus is closed anyway.
        }
    }

    private bool Stop()
    {
        lock (_gate)
        {
            if (_disposed != 0) return false;
            _disposed = 1;
        }
        _poller.Stop(); // returns when the poller thread has left: its state is this thread's now
        foreach (var entry in _channels.Values) entry.Ready.TrySetResult();
        foreach (var probe in _probes.Values) probe.Confirmed.TrySetResult();
        _probes.Clear();
        foreach (var peer in _peers) peer.Socket.Dispose();
        _peers.Clear();
        _pub.Dispose();
        _outgoing.Dispose();
        _commands.Dispose();
        _poller.Dispose();
        _deliveries.Writer.TryComplete();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub handler on {Channel} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub: a message on {Channel} was dropped: {Why} ({Count} dropped so far)")]
    private static partial void LogDropped(ILogger logger, string channel, string why, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub: cannot connect to peer {Endpoint}")]
    private static partial void LogPeerFailed(ILogger logger, Exception ex, string endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "pub/sub: peer {Endpoint} is this node; not listening to it")]
    private static partial void LogSelf(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "pub/sub: peer {Endpoint} did not confirm a subscription within {Ms} ms; not waiting for it until it is heard from")]
    private static partial void LogSilent(ILogger logger, string endpoint, double ms);

    private enum PeerState
    {
        /// <summary>Not heard from yet: waited for (it is usually just connecting).</summary>
        Unknown,

        /// <summary>Its welcome or a message arrived on the current connection.</summary>
        Up,

        /// <summary>Missed a confirmation: not waited for until heard from again.</summary>
        Silent,
    }

    private sealed class Peer(string endpoint, SubscriberSocket socket)
    {
        public string Endpoint { get; } = endpoint;
        public SubscriberSocket Socket { get; } = socket;
        public PeerState State { get; set; }
        public bool Closed { get; set; }
    }

    private sealed class Probe(byte[] topic, TaskCompletionSource confirmed, long deadline)
    {
        public byte[] Topic { get; } = topic;
        public TaskCompletionSource Confirmed { get; } = confirmed;
        public long Deadline { get; } = deadline;
        public HashSet<Peer> Waiting { get; } = [];
        public HashSet<Peer> Subscribed { get; } = [];
    }

    private sealed record Entry(ImmutableArray<Subscription> Handlers, TaskCompletionSource Ready);

    private readonly record struct Outgoing(byte[] Topic, byte[] Payload);

    private readonly record struct Delivery(ImmutableArray<Subscription> Handlers, string Channel, string Message);

    private sealed class Subscription(NetMqPubSub owner, string channel, Action<string> handler) : IAsyncDisposable
    {
        private int _disposed;

        public string Channel { get; } = channel;
        public Action<string> Handler { get; } = handler;
        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(this);
            return ValueTask.CompletedTask;
        }
    }
}
