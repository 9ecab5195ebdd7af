using System.Diagnostics;
using Backend.Cache;
using Backend.PubSub;

namespace Backend.Metrics;

/// <summary>The service behind a measuring wrapper (tests and diagnostics).</summary>
internal static class Metered
{
    public static object? Unwrap(object? service) => service switch
    {
        MeteredCache c => c.Inner,
        MeteredPubSub p => p.Inner,
        _ => service,
    };
}

/// <summary>The configured <see cref="ICache"/> with its operations measured (<c>backend.cache.*</c>). Wraps the
/// built-in kinds (local, redis, memcache); an app that registers its own ICache measures it itself.</summary>
internal sealed class MeteredCache(ICache inner, BackendMetrics metrics) : ICache, IAsyncDisposable
{
    private readonly KeyValuePair<string, object?> _kind = new("cache.kind", inner.Kind);

    public string Kind => inner.Kind;

    /// <summary>The cache measured.</summary>
    public ICache Inner => inner;

    private void Done(long started, string op)
    {
        if (started != 0) metrics.CacheDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _kind, new("cache.operation", op));
    }

    private long Start() => metrics.CacheDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var started = Start();
        var value = await inner.GetAsync(key, cancellationToken);
        Done(started, "get");
        (value is null ? metrics.CacheMisses : metrics.CacheHits).Add(1, _kind);
        return value;
    }

    public async ValueTask PutAsync(string key, string value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var started = Start();
        await inner.PutAsync(key, value, ttl, cancellationToken);
        Done(started, "put");
    }

    public async ValueTask<long> IncrAsync(string key, long delta, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var started = Start();
        var value = await inner.IncrAsync(key, delta, ttl, cancellationToken);
        Done(started, "incr");
        return value;
    }

    public async ValueTask<bool> DelAsync(string key, CancellationToken cancellationToken = default)
    {
        var started = Start();
        var deleted = await inner.DelAsync(key, cancellationToken);
        Done(started, "del");
        return deleted;
    }

    public ValueTask ClearAsync(string? pattern = null, CancellationToken cancellationToken = default) => inner.ClearAsync(pattern, cancellationToken);

    public ValueTask<IReadOnlyList<string>> KeysAsync(string? pattern = null, int limit = 1000, CancellationToken cancellationToken = default) =>
        inner.KeysAsync(pattern, limit, cancellationToken);

    public ValueTask<CacheStats> StatsAsync(CancellationToken cancellationToken = default) => inner.StatsAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable a) await a.DisposeAsync();
        else if (inner is IDisposable d) d.Dispose();
    }
}

/// <summary>The configured <see cref="IPubSub"/> with its messages counted (<c>backend.pubsub.*</c>).</summary>
internal sealed class MeteredPubSub(IPubSub inner, string kind, BackendMetrics metrics) : IPubSub, IAsyncDisposable
{
    private readonly KeyValuePair<string, object?> _kind = new("pubsub.kind", kind);

    /// <summary>The pub/sub measured.</summary>
    public IPubSub Inner => inner;

    public async ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.PublishAsync(channel, message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            metrics.PubSubFailed.Add(1, _kind);
            throw;
        }
        metrics.PubSubSent.Add(1, _kind);
    }

    public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return inner.SubscribeAsync(channel, message =>
        {
            metrics.PubSubReceived.Add(1, _kind);
            handler(message);
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable a) await a.DisposeAsync();
        else if (inner is IDisposable d) d.Dispose();
    }
}
