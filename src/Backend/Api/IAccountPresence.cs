namespace Backend.Api;

/// <summary>Whether an account is online, as the status module sees it (<c>/status/put</c> within
/// <c>-api-status-interval</c>): the question other modules ask (push sends only to offline accounts) without
/// knowing the status module. Registered by the status module; when none is registered every account counts as
/// offline.</summary>
internal interface IAccountPresence
{
    /// <summary>True when <paramref name="accountId"/> is online now.</summary>
    ValueTask<bool> IsOnlineAsync(string accountId, CancellationToken cancellationToken);
}
