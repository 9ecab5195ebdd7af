using Backend.Data;
using System.Text.Json;
using Backend.PubSub;
using Microsoft.Extensions.Logging;

namespace Backend.Api;

/// <summary>Events about an account (a message arrived, someone connected, a counter changed), delivered to that
/// account's <c>/account/subscribe</c> long polls through <see cref="IPubSub"/> on the channel
/// <c>account:ID</c>. Each event is a JSON object <c>{"path","mtime","type",...}</c> as in the reference.</summary>
internal sealed partial class AccountEvents(IPubSub pubsub, TimeProvider time, ILogger<AccountEvents> logger, IEnumerable<IAccountEventListener> listeners)
{
    private readonly IAccountEventListener[] _listeners = [.. listeners];

    // An outage is logged once when it starts and once when it ends, not per request.
    private readonly Outage _outage = new();

    /// <summary>Events that could not be published (the transport down), for metrics.</summary>
    public long Failed => _outage.Count;

    /// <summary>The pub/sub channel of an account.</summary>
    public static string Channel(string accountId) => "account:" + accountId;

    /// <summary>Publishes an event to <paramref name="accountId"/>: <paramref name="path"/> is the endpoint that
    /// caused it, <paramref name="type"/> what happened (connection type, counter names, ...), <paramref name="actor"/>
    /// the account that caused it (sent as <c>id</c>). Extra properties are added as given. <paramref name="text"/> (a
    /// message's text) goes to the in-process listeners only (the push triggers), not to subscribers.</summary>
    public ValueTask Publish(string accountId, string path, string? type, string? actor = null, IReadOnlyDictionary<string, object?>? extra = null, string? text = null, CancellationToken cancellationToken = default)
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
        if (_listeners.Length > 0)
        {
            var e = new AccountEvent(accountId, path, type, actor, text);
            foreach (var listener in _listeners) listener.OnEvent(e);
        }
        return Send(Channel(accountId), JsonSerializer.Serialize(body), cancellationToken);
    }

    // An event is a side effect of a write that already happened: a transport that is down loses the event (counted,
    // logged once per outage), never the request.
    private async ValueTask Send(string channel, string message, CancellationToken cancellationToken)
    {
        try
        {
            await pubsub.PublishAsync(channel, message, cancellationToken);
            if (_outage.Recovered()) LogRecovered(logger);
        }
        catch (PubSubException ex)
        {
            if (_outage.Failed()) LogFailing(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "account events are not delivered: {Reason}; further failures are counted, not logged, until it recovers")]
    private static partial void LogFailing(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "account events are delivered again")]
    private static partial void LogRecovered(ILogger logger);

    /// <summary>Calls <paramref name="onEvent"/> with the JSON text of every event for <paramref name="accountId"/>
    /// until the handle is disposed.</summary>
    public ValueTask<IAsyncDisposable> Subscribe(string accountId, Action<string> onEvent, CancellationToken cancellationToken = default) =>
        pubsub.SubscribeAsync(Channel(accountId), onEvent, cancellationToken);
}
