using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.PubSub;

/// <summary>In-process pub/sub: subscribers of this process only. Publishing is synchronous and allocation-light
/// (an immutable handler list per channel, swapped on subscribe/unsubscribe), so publishing where nobody listens
/// costs one dictionary lookup.</summary>
internal sealed partial class LocalPubSub(ILogger<LocalPubSub>? logger = null) : IPubSub
{
    private readonly ConcurrentDictionary<string, ImmutableArray<Action<string>>> _channels = new(StringComparer.Ordinal);
    private readonly ILogger _logger = logger ?? NullLogger<LocalPubSub>.Instance;

    /// <summary>Channels with at least one subscriber (for diagnostics and tests).</summary>
    public int ChannelCount => _channels.Count;

    /// <inheritdoc />
    public ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(message);
        if (!_channels.TryGetValue(channel, out var handlers)) return ValueTask.CompletedTask;
        foreach (var handler in handlers)
        {
            try
            {
                handler(message);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(_logger, ex, channel);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(handler);
        _channels.AddOrUpdate(channel, _ => [handler], (_, list) => list.Add(handler));
        return ValueTask.FromResult<IAsyncDisposable>(new Subscription(this, channel, handler));
    }

    private void Unsubscribe(string channel, Action<string> handler)
    {
        while (_channels.TryGetValue(channel, out var list))
        {
            var next = list.Remove(handler);
            if (next.IsEmpty ? _channels.TryRemove(new KeyValuePair<string, ImmutableArray<Action<string>>>(channel, list)) : _channels.TryUpdate(channel, next, list)) return;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pub/sub handler on {Channel} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception ex, string channel);

    private sealed class Subscription(LocalPubSub owner, string channel, Action<string> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(channel, handler);
            return ValueTask.CompletedTask;
        }
    }
}
