namespace Backend.Api;

/// <summary>An event about an account as <see cref="AccountEvents"/> publishes it, for listeners in the same process
/// (the push triggers).</summary>
/// <param name="AccountId">The account the event is for.</param>
/// <param name="Path">The endpoint that caused it (<c>/message/add</c>, <c>/connection/add</c>,
/// <c>/counter/incr</c>).</param>
/// <param name="Type">What happened (the connection type, the counter names, ...).</param>
/// <param name="Actor">The account that caused it.</param>
/// <param name="Text">The message text of a <c>/message/add</c> (not published to subscribers), else null.</param>
internal sealed record AccountEvent(string AccountId, string Path, string? Type, string? Actor, string? Text);

/// <summary>Hears every event <see cref="AccountEvents"/> publishes, on the request path: it must only queue work, never
/// wait on I/O. Registered with DI (<c>AddSingleton&lt;IAccountEventListener, X&gt;</c>).</summary>
internal interface IAccountEventListener
{
    /// <summary>Called once per event, after it was handed to pub/sub.</summary>
    void OnEvent(AccountEvent accountEvent);
}
