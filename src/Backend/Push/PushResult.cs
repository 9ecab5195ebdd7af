namespace Backend.Push;

/// <summary>What a push service answered for one device.</summary>
public enum PushOutcome
{
    /// <summary>The service accepted the notification.</summary>
    Sent,

    /// <summary>The service says the device is gone (APNs 410, FCM UNREGISTERED, Web Push 404/410, a token it will
    /// never take): the device is removed from its account.</summary>
    DeadDevice,

    /// <summary>Worth trying again later: 429, 5xx, a timeout or a lost connection (<see cref="PushResult.RetryAfter"/>
    /// is the service's <c>Retry-After</c> when it gave one).</summary>
    RetryLater,

    /// <summary>Refused for good, but not because of the device (a bad key, a payload too large, the service not
    /// configured): counted and logged, not retried, the device kept.</summary>
    Failed,
}

/// <summary>The outcome of one send, with the service's reason (its error code or status) and, for
/// <see cref="PushOutcome.RetryLater"/>, how long it asked to wait.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">The service's reason in its own words (<c>BadDeviceToken</c>, <c>UNREGISTERED</c>,
/// <c>HTTP 503</c>, ...), or null when sent.</param>
/// <param name="RetryAfter">The service's <c>Retry-After</c>, when it gave one.</param>
public sealed record PushResult(PushOutcome Outcome, string? Reason = null, TimeSpan? RetryAfter = null)
{
    /// <summary>An accepted notification.</summary>
    public static PushResult Sent { get; } = new(PushOutcome.Sent);

    /// <summary>A device the service reports gone.</summary>
    public static PushResult Dead(string reason) => new(PushOutcome.DeadDevice, reason);

    /// <summary>A send worth trying again after <paramref name="retryAfter"/> (or the queue's backoff when null).</summary>
    public static PushResult Retry(string reason, TimeSpan? retryAfter = null) => new(PushOutcome.RetryLater, reason, retryAfter);

    /// <summary>A send refused for good for a reason other than the device.</summary>
    public static PushResult Fail(string reason) => new(PushOutcome.Failed, reason);
}
