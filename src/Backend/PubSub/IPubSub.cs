namespace Backend.PubSub;

/// <summary>Publish/subscribe of text messages on named channels, chosen by <c>-msg-type</c>. The core ships
/// <see cref="LocalPubSub"/> (one process); providers add kinds that reach other processes and nodes (Redis, AMQP,
/// brokerless sockets) behind the same interface, so API modules never know which one runs. A transport that cannot
/// send or subscribe throws <see cref="PubSubException"/> at once (never queues); a caller publishing as a side effect
/// of a request catches it, so the request does not fail because the broker is down.</summary>
public interface IPubSub
{
    /// <summary>Sends <paramref name="message"/> to every current subscriber of <paramref name="channel"/>. Nobody
    /// listening is not an error: the message is dropped (pub/sub is not a queue).</summary>
    ValueTask PublishAsync(string channel, string message, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="handler"/> for every message published on <paramref name="channel"/> until the
    /// returned handle is disposed. Handlers must be quick and must not throw (exceptions are logged and dropped).</summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string channel, Action<string> handler, CancellationToken cancellationToken = default);
}
