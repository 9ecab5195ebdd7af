using System.Collections.Concurrent;
using System.Collections.Immutable;
using Backend.PubSub;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>The <c>redis</c> pub/sub (<c>-msg-type redis</c>): Redis PUBLISH/SUBSCRIBE on the server of
/// <c>-redis-host</c>/<c>-redis-port</c>, channels prefixed <c>bk:</c>. One Redis subscription per channel per process,
/// fanned out to the local handlers (an immutable list per channel, as <see cref="LocalPubSub"/>), delivered in order
/// (StackExchange.Redis's ordered channel queue). The server down: publishes and new subscriptions fail fast with
/// <see cref="PubSubException"/> (counted); the connection comes back by itself and StackExchange.Redis re-subscribes
/// what was subscribed; messages published meanwhile are lost (pub/sub, not a queue).</summary>
internal sealed partial class RedisPubSub : IPubSub, IAsyncDisposable
{
    /// <summary>The prefix of every channel on the server.</summary>
    public const string Prefix = "bk:";

    private readonly Task<ConnectionMultiplexer> _connection;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ImmutableArray<Action<string>>> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ChannelMessageQueue> _queues = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private readonly TimeSpan _timeout;
    private long _failed;

    public RedisPubSub(ConfigurationOptions options, ILogger<RedisPubSub> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _timeout = TimeSpan.FromMilliseconds(options.AsyncTimeout);
        _connection = ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>Publishes and subscriptions that failed.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    public async ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await WithinTimeout(async connection =>
                await connection.GetSubscriber().PublishAsync(RedisChannel.Literal(Prefix + channel), message).WaitAsync(cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw Failed(ex);
        }
    }

    public async ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(handler);
        // Serialized: the first handler of a channel subscribes on the server, the last one's dispose unsubscribes, and
        // the two must not interleave.
        await _subscribing.WaitAsync(cancellationToken);
        try
        {
            if (!_queues.ContainsKey(channel))
            {
                ChannelMessageQueue queue;
                try
                {
                    queue = await WithinTimeout(async connection =>
                        await connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Prefix + channel)).WaitAsync(cancellationToken), cancellationToken);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    throw Failed(ex);
                }
                queue.OnMessage(m => Deliver(channel, m.Message));
                _queues[channel] = queue;
            }
            _handlers.AddOrUpdate(channel, _ => [handler], (_, list) => list.Add(handler));
        }
        finally
        {
            _subscribing.Release();
        }
        return new Subscription(this, channel, handler);
    }

    /// <summary>Runs <paramref name="call"/> on the connection, waiting at most one command timeout in all: for the first
    /// connect (a server down at start must not hold callers), and for a link that is not up yet. Right after start on a
    /// loaded machine the subscription link may still be in its handshake, and StackExchange.Redis answers "no connection
    /// is available" at once; that is retried until the timeout, so a server that is down still fails within it.</summary>
    private async Task<T> WithinTimeout<T>(Func<ConnectionMultiplexer, Task<T>> call, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var connection = await _connection.WaitAsync(_timeout, cancellationToken);
        while (true)
        {
            try
            {
                return await call(connection);
            }
            catch (RedisConnectionException) when (clock.Elapsed < _timeout)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private void Deliver(string channel, RedisValue message)
    {
        if (!_handlers.TryGetValue(channel, out var handlers)) return;
        var text = (string?)message ?? "";
        foreach (var handler in handlers)
        {
            try
            {
                handler(text);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(_logger, ex, channel);
            }
        }
    }

    private async ValueTask Unsubscribe(string channel, Action<string> handler)
    {
        await _subscribing.WaitAsync();
        try
        {
            if (!_handlers.TryGetValue(channel, out var list)) return;
            var next = list.Remove(handler);
            if (!next.IsEmpty)
            {
                _handlers[channel] = next;
                return;
            }
            _handlers.TryRemove(channel, out _);
            if (_queues.TryRemove(channel, out var queue))
            {
                try
                {
                    await queue.UnsubscribeAsync();
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // The server is gone: the subscription went with the connection, and it is not re-made for a
                    // channel nobody listens to any more (StackExchange.Redis forgets it with the queue).
                }
            }
        }
        finally
        {
            _subscribing.Release();
        }
    }

    private PubSubException Failed(Exception ex)
    {
        Interlocked.Increment(ref _failed);
        return new PubSubException($"redis pub/sub: {ex.Message}", ex);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await (await _connection).DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // never connected: nothing to close
        }
        _subscribing.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub handler on {Channel} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex, string channel);

    private sealed class Subscription(RedisPubSub owner, string channel, Action<string> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? owner.Unsubscribe(channel, handler) : ValueTask.CompletedTask;
    }
}
