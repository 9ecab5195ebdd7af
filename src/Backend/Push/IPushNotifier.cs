namespace Backend.Push;

/// <summary>A notification for an account (the reference's <c>notifyAccount</c>): sent to every device of the
/// account (its <c>device_id</c> and the devices added with <c>/device/add</c>).</summary>
/// <param name="Text">The alert text (the reference's <c>msg</c>).</param>
/// <param name="Badge">The badge number, or null.</param>
/// <param name="Prefix">Put before <paramref name="Text"/> with a space (the reference's <c>prefix</c>).</param>
public sealed record PushNotification(string? Text, int? Badge = null, string? Prefix = null)
{
    /// <summary>A title shown above the text, or null for none.</summary>
    public string? Title { get; init; }

    /// <summary>The sound name, or null for a silent notification.</summary>
    public string? Sound { get; init; }

    /// <summary>Custom string pairs for the app.</summary>
    public IReadOnlyDictionary<string, string>? Data { get; init; }

    /// <summary>Send only when the account is offline by its status (<c>/status/put</c> older than
    /// <c>-api-status-interval</c>, or never put); true by default, as the triggers do.</summary>
    public bool OnlyOffline { get; init; } = true;

    /// <summary>The name the account may mute this kind of notification by in its <c>push_mute</c> column (the
    /// built-in triggers are <c>message</c>, <c>connection</c>, <c>ping</c>); null is muted only by
    /// <c>push_mute=all</c>.</summary>
    public string? Kind { get; init; }
}

/// <summary>Notifies accounts through the push services, off the request path: <see cref="Notify"/> only queues; the
/// account's devices, status and mute flags are read and the services called in the background (retried with
/// backoff, dead devices removed). Resolve it from the app's services.</summary>
public interface IPushNotifier
{
    /// <summary>Queues a notification for <paramref name="accountId"/>; false when the queue is full (the
    /// notification is dropped and counted) or no push service is configured.</summary>
    bool Notify(string accountId, PushNotification notification);
}
