using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace Backend.Http.WebSockets;

/// <summary>One accepted WebSocket: the replies and pushed events waiting to be sent, in order, by one writer (a
/// WebSocket allows one send at a time), and the account-event subscription the socket holds. Set as a feature on
/// every request a message of the socket makes, so an endpoint can push to it (<c>/account/subscribe?push=1</c>).</summary>
internal sealed class WebSocketConnection : IAsyncDisposable
{
    /// <summary>Most pushed events waiting to be sent; later ones are dropped until the client reads.</summary>
    public const int MaxQueuedEvents = 1000;

    private static readonly byte[] EventStart = "{\"event\":"u8.ToArray();

    private readonly Channel<Task<Frame>> _out = Channel.CreateUnbounded<Task<Frame>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private IAsyncDisposable? _subscription;
    private bool _closed;
    private int _queuedEvents;

    /// <summary>Cancelled when the socket ends: the requests its messages made see it as their RequestAborted.</summary>
    public CancellationTokenSource Ended { get; } = new();

    /// <summary>The frames to send, in order.</summary>
    internal ChannelReader<Task<Frame>> Outgoing => _out.Reader;

    /// <summary>Queues a reply (still running) behind the earlier ones.</summary>
    internal bool Enqueue(Task<Frame> frame) => _out.Writer.TryWrite(frame);

    /// <summary>Queues the close frame after everything queued; nothing is queued after it.</summary>
    internal void Close(WebSocketCloseStatus status, string reason)
    {
        if (_out.Writer.TryWrite(Task.FromResult(Frame.CloseWith(status, reason)))) _out.Writer.TryComplete();
    }

    /// <summary>Pushes an account event (its JSON text) as <c>{"event":...}</c>; false when dropped (the queue is full
    /// or the socket closed).</summary>
    public bool Push(string eventJson)
    {
        if (Interlocked.Increment(ref _queuedEvents) > MaxQueuedEvents)
        {
            Interlocked.Decrement(ref _queuedEvents);
            return false;
        }
        var text = Encoding.UTF8.GetBytes(eventJson);
        var data = new byte[EventStart.Length + text.Length + 1];
        EventStart.CopyTo(data, 0);
        text.CopyTo(data, EventStart.Length);
        data[^1] = (byte)'}';
        if (_out.Writer.TryWrite(Task.FromResult(new Frame(data, WebSocketMessageType.Text, IsEvent: true)))) return true;
        Interlocked.Decrement(ref _queuedEvents);
        return false;
    }

    /// <summary>Called by the writer once an event frame is sent.</summary>
    internal void EventSent() => Interlocked.Decrement(ref _queuedEvents);

    /// <summary>Makes <paramref name="subscription"/> the socket's account-event subscription, ending the previous
    /// one; ended when the socket closes.</summary>
    public async ValueTask Subscribe(IAsyncDisposable subscription)
    {
        IAsyncDisposable? previous;
        bool closed;
        lock (_lock)
        {
            closed = _closed;
            previous = closed ? subscription : _subscription;
            if (!closed) _subscription = subscription;
        }
        if (previous is not null) await previous.DisposeAsync();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable? subscription;
        lock (_lock)
        {
            _closed = true;
            subscription = _subscription;
            _subscription = null;
        }
        _out.Writer.TryComplete();
        if (subscription is not null) await subscription.DisposeAsync();
        // Not disposed: requests of the socket still running may read the token.
        await Ended.CancelAsync();
    }

    /// <summary>A frame to send: a message, or the close frame.</summary>
    internal readonly record struct Frame(byte[] Data, WebSocketMessageType Type, bool IsEvent = false, WebSocketCloseStatus? CloseStatus = null, string? Reason = null)
    {
        public static Frame CloseWith(WebSocketCloseStatus status, string reason) => new([], WebSocketMessageType.Close, false, status, reason);
    }
}
