using System.Text.Json;
using Backend.PubSub;

namespace Backend.Api;

/// <summary>Events about an account (a message arrived, someone connected, a counter changed), delivered to that
/// account's <c>/account/subscribe</c> long polls through <see cref="IPubSub"/> on the channel
/// <c>account:ID</c>. Each event is a JSON object <c>{"path","mtime","type",...}</c> as in the reference.</summary>
internal sealed class AccountEvents(IPubSub pubsub, TimeProvider time)
{
    /// <summary>The pub/sub channel of an account.</summary>
    public static string Channel(string accountId) => "account:" + accountId;

    /// <summary>Publishes an event to <paramref name="accountId"/>: <paramref name="path"/> is the endpoint that
    /// caused it, <paramref name="type"/> what happened (connection type, counter names, ...), <paramref name="actor"/>
    /// the account that caused it (sent as <c>id</c>). Extra properties are added as given.</summary>
    public ValueTask Publish(string accountId, string path, string? type, string? actor = null, IReadOnlyDictionary<string, object?>? extra = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["path"] = path,
            ["mtime"] = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (type is not null) body["type"] = type;
        if (actor is not null) body["id"] = actor;
        if (extra is not null)
        {
            foreach (var (k, v) in extra) body.TryAdd(k, v);
        }
        return pubsub.PublishAsync(Channel(accountId), JsonSerializer.Serialize(body), cancellationToken);
    }

    /// <summary>Calls <paramref name="onEvent"/> with the JSON text of every event for <paramref name="accountId"/>
    /// until the handle is disposed.</summary>
    public ValueTask<IAsyncDisposable> Subscribe(string accountId, Action<string> onEvent, CancellationToken cancellationToken = default) =>
        pubsub.SubscribeAsync(Channel(accountId), onEvent, cancellationToken);
}
