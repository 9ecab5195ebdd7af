namespace Backend.Push;

/// <summary>One push service (APNs, FCM, Web Push, or an app's own), chosen by the scheme of a device id:
/// <c>SERVICE://TOKEN</c>. Registered as an <see cref="IPushSender"/> singleton; the push queue calls
/// <see cref="SendAsync"/> off the request path, many sends at once (a sender multiplexes them over one HTTP/2
/// connection where the service allows it).</summary>
public interface IPushSender
{
    /// <summary>The canonical scheme of the device ids this sender serves (<c>apple</c>, <c>fcm</c>, <c>webpush</c>);
    /// the aliases are in <see cref="PushDevice"/>.</summary>
    string Service { get; }

    /// <summary>False when the service is not configured (no key given): its devices are still accepted and kept,
    /// and a send to one is a <see cref="PushOutcome.Failed"/> "not configured".</summary>
    bool Enabled { get; }

    /// <summary>Checks the token part of a device id before it is stored, with no network call: null when it is
    /// well formed, else a short message for the client's 400 (for example "an APNs device token is 64 hex
    /// digits").</summary>
    string? CheckToken(string token);

    /// <summary>Sends <paramref name="message"/> to the device <paramref name="token"/>. Never throws for what the
    /// service answers, a timeout or a network error: those are <see cref="PushResult"/>s (only cancellation of
    /// <paramref name="cancellationToken"/> throws).</summary>
    Task<PushResult> SendAsync(string token, PushMessage message, CancellationToken cancellationToken);
}
