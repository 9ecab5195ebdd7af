using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Backend.PubSub;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Backend.RabbitMq;

/// <summary>Pub/sub over RabbitMQ (<c>-msg-type amqp</c>). Every process publishes to one direct exchange
/// (<c>bk.pubsub</c>) with the channel as routing key, and owns one exclusive, auto-delete queue that is bound once
/// per channel it has subscribers for; its one consumer hands each delivery to the channel's local handlers, in order.
/// A direct exchange (exact routing keys), not a topic one, so a channel named <c>a.*</c> is not a wildcard.
/// Nothing is persistent and deliveries are auto-acked: a message nobody is bound for is dropped by the exchange,
/// which is the pub/sub contract. The connection recovers by itself (the client's automatic recovery re-declares
/// the exchange, the queue, its bindings and the consumer); while it is down publishes and new subscriptions fail at
/// once with <see cref="PubSubException"/>, counted in <see cref="PublishFailures"/>.</summary>
internal sealed partial class RabbitMqPubSub : IPubSub, IAsyncDisposable
{
    private readonly RabbitMqSettings _settings;
    private readonly ILogger _logger;
    private readonly ConnectionFactory _factory;
    private readonly string _queue = $"bk.pubsub.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, ImmutableArray<Action<string>>> _handlers = new(StringComparer.Ordinal);

    // Connecting, binding and unbinding: one at a time, so the first subscriber's bind and the last one's unbind of a
    // channel can never pass each other.
    private readonly SemaphoreSlim _gate = new(1, 1);

    // An IChannel must not publish from two threads at once; one channel behind a lock keeps each publisher's order
    // and costs only a buffered socket write per message (no publisher confirms).
    private readonly SemaphoreSlim _publishLock = new(1, 1);

    // Channels whose unbind failed while the broker was away: recovery re-creates every binding the client recorded,
    // these included, so they are unbound again once it is back (under _gate).
    private readonly HashSet<string> _stale = new(StringComparer.Ordinal);

    private Session? _session;
    private long _retryAt;
    private long _published;
    private long _publishFailures;
    private long _received;
    private int _disposed;

    private sealed record Session(IConnection Connection, IChannel Consume, IChannel Publish);

    public RabbitMqPubSub(RabbitMqSettings settings, ILogger<RabbitMqPubSub>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _logger = logger ?? NullLogger<RabbitMqPubSub>.Instance;
        _factory = new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            UserName = settings.User,
            Password = settings.Password,
            VirtualHost = settings.VirtualHost,
            Ssl = new SslOption { Enabled = settings.Ssl, ServerName = settings.Host },
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = settings.RecoveryInterval,
            RequestedConnectionTimeout = settings.ConnectTimeout,
            HandshakeContinuationTimeout = settings.ConnectTimeout,
            ContinuationTimeout = settings.ConnectTimeout,
            RequestedHeartbeat = settings.Heartbeat,
            ClientProvidedName = $"backendcs-pubsub {Environment.MachineName}:{Environment.ProcessId}",
        };
    }

    /// <summary>Messages handed to the broker.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Publishes that failed (broker unreachable, connection down or lost mid-call).</summary>
    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    /// <summary>Deliveries taken from this process's queue.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>True while the connection is up.</summary>
    public bool IsConnected => Volatile.Read(ref _session)?.Connection.IsOpen == true;

    /// <summary>The name of this instance's queue (for tests and diagnostics).</summary>
    public string QueueName => _queue;

    /// <inheritdoc />
    public async ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        CheckChannel(channel);
        ArgumentNullException.ThrowIfNull(message);
        var body = Encoding.UTF8.GetBytes(message);
        try
        {
            var session = Volatile.Read(ref _session) ?? await ConnectGatedAsync(cancellationToken).ConfigureAwait(false);
            // Down and recovering: say so now rather than wait for the socket.
            if (!session.Connection.IsOpen) throw Unavailable("the connection is down, reconnecting", null);
            await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var publish = session.Publish.IsOpen ? session.Publish : await ReopenPublishAsync(session, cancellationToken).ConfigureAwait(false);
                await publish.BasicPublishAsync(_settings.Exchange, channel, mandatory: false, body, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _publishLock.Release();
            }
            Interlocked.Increment(ref _published);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ObjectDisposedException)
        {
            Interlocked.Increment(ref _publishFailures);
            if (ex is PubSubException) throw;
            throw Unavailable("publish failed", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        CheckChannel(channel);
        ArgumentNullException.ThrowIfNull(handler);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_handlers.TryGetValue(channel, out var list))
            {
                _handlers[channel] = list.Add(handler);
            }
            else
            {
                _handlers[channel] = [handler];
                try
                {
                    if (Volatile.Read(ref _session) is { } session)
                    {
                        await session.Consume.QueueBindAsync(_queue, _settings.Exchange, channel, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await ConnectAsync(cancellationToken).ConfigureAwait(false); // binds every channel, this one too
                    }
                    _stale.Remove(channel);
                }
                catch (Exception ex)
                {
                    _handlers.TryRemove(channel, out _);
                    if (ex is OperationCanceledException or PubSubException) throw;
                    throw Unavailable($"subscribing to {channel} failed", ex);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
        return new Subscription(this, channel, handler);
    }

    private async ValueTask UnsubscribeAsync(string channel, Action<string> handler)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        await _gate.WaitAsync().ConfigureAwait(false);
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
            if (Volatile.Read(ref _session) is not { } session) return;
            try
            {
                await session.Consume.QueueUnbindAsync(_queue, _settings.Exchange, channel, null).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not ObjectDisposedException)
            {
                // Deliveries for the channel find no handler and are dropped meanwhile; unsubscribing never fails.
                _stale.Add(channel);
                LogUnbindFailed(_logger, ex, channel);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Session> ConnectGatedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A broker that just refused us is not asked again before the recovery interval: callers fail at once.
        if (Environment.TickCount64 < Volatile.Read(ref _retryAt)) throw Unavailable("the broker was unreachable moments ago", null);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Volatile.Read(ref _session) ?? await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Opens the connection and declares the topology (under <see cref="_gate"/>).</summary>
    private async Task<Session> ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Environment.TickCount64 < Volatile.Read(ref _retryAt)) throw Unavailable("the broker was unreachable moments ago", null);
        IConnection? connection = null;
        try
        {
            connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            var consume = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await consume.ExchangeDeclareAsync(_settings.Exchange, ExchangeType.Direct, durable: false, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            // Named by us, not the server: recovery re-declares it under the same name, so bind and unbind calls
            // made later still name the right queue.
            await consume.QueueDeclareAsync(_queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var channel in _handlers.Keys)
                await consume.QueueBindAsync(_queue, _settings.Exchange, channel, cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(consume);
            consumer.ReceivedAsync += OnReceivedAsync;
            await consume.BasicConsumeAsync(_queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            var publish = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            connection.ConnectionShutdownAsync += OnShutdownAsync;
            connection.RecoverySucceededAsync += OnRecoveredAsync;
            connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
            var session = new Session(connection, consume, publish);
            Volatile.Write(ref _session, session);
            LogConnected(_logger, _settings.Host, _settings.Port, _queue);
            return session;
        }
        catch (Exception ex)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException) throw;
            Volatile.Write(ref _retryAt, Environment.TickCount64 + (long)_settings.RecoveryInterval.TotalMilliseconds);
            throw Unavailable("cannot connect", ex);
        }
    }

    /// <summary>A publish channel the broker closed (a channel error, say the exchange was deleted) is not recovered by
    /// the client, only channels of a lost connection are: open another one (under the publish lock).</summary>
    private async Task<IChannel> ReopenPublishAsync(Session session, CancellationToken cancellationToken)
    {
        var publish = await session.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await publish.ExchangeDeclareAsync(_settings.Exchange, ExchangeType.Direct, durable: false, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _session, session with { Publish = publish });
        await session.Publish.DisposeAsync().ConfigureAwait(false);
        return publish;
    }

    private Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _received);
        if (!_handlers.TryGetValue(delivery.RoutingKey, out var handlers)) return Task.CompletedTask;
        // The body is only valid during this call: decoded now, once for every handler.
        var message = Encoding.UTF8.GetString(delivery.Body.Span);
        foreach (var handler in handlers)
        {
            try
            {
                handler(message);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(_logger, ex, delivery.RoutingKey);
            }
        }
        return Task.CompletedTask;
    }

    private Task OnShutdownAsync(object sender, ShutdownEventArgs e)
    {
        if (Volatile.Read(ref _disposed) == 0) LogConnectionLost(_logger, _settings.Host, _settings.Port, e.ReplyText);
        return Task.CompletedTask;
    }

    private Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs e)
    {
        LogRecoveryFailed(_logger, e.Exception, _settings.Host, _settings.Port);
        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(object sender, AsyncEventArgs e)
    {
        LogRecovered(_logger, _settings.Host, _settings.Port);
        // Not inline: the recovery loop that raised this must finish before channel calls are made.
        _ = Task.Run(UnbindStaleAsync);
        return Task.CompletedTask;
    }

    private async Task UnbindStaleAsync()
    {
        try
        {
            await _gate.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        try
        {
            if (_stale.Count == 0 || Volatile.Read(ref _session) is not { } session) return;
            foreach (var channel in _stale.ToList())
            {
                if (!_handlers.ContainsKey(channel))
                    await session.Consume.QueueUnbindAsync(_queue, _settings.Exchange, channel, null).ConfigureAwait(false);
                _stale.Remove(channel);
            }
        }
        catch (Exception ex)
        {
            LogUnbindFailed(_logger, ex, "(stale)");
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void CheckChannel(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        // The routing key is an AMQP short string; a longer one would make the broker close the channel.
        if (Encoding.UTF8.GetByteCount(channel) > 255) throw new ArgumentException("an amqp channel name is at most 255 bytes of UTF-8", nameof(channel));
    }

    private PubSubException Unavailable(string what, Exception? inner)
    {
        var message = $"amqp pub/sub on {_settings.Host}:{_settings.Port}: {what}{(inner is null ? "" : $" ({inner.Message})")}";
        return inner is null ? new PubSubException(message) : new PubSubException(message, inner);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Interlocked.Exchange(ref _session, null) is { } session)
            {
                try
                {
                    await session.Connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    LogCloseFailed(_logger, ex);
                }
                await session.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub handler on {Channel} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex, string channel);

    [LoggerMessage(Level = LogLevel.Information, Message = "amqp pub/sub connected to {Host}:{Port}, queue {Queue}")]
    private static partial void LogConnected(ILogger logger, string host, int port, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "amqp pub/sub lost {Host}:{Port}: {Reason}; reconnecting")]
    private static partial void LogConnectionLost(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "amqp pub/sub: reconnecting to {Host}:{Port} failed")]
    private static partial void LogRecoveryFailed(ILogger logger, Exception ex, string host, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "amqp pub/sub reconnected to {Host}:{Port}")]
    private static partial void LogRecovered(ILogger logger, string host, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "amqp pub/sub: unbinding {Channel} failed")]
    private static partial void LogUnbindFailed(ILogger logger, Exception ex, string channel);

    [LoggerMessage(Level = LogLevel.Debug, Message = "amqp pub/sub: closing the connection failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception ex);

    private sealed class Subscription(RabbitMqPubSub owner, string channel, Action<string> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? owner.UnsubscribeAsync(channel, handler) : ValueTask.CompletedTask;
    }
}
