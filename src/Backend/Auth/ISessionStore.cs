namespace Backend.Auth;

/// <summary>Where cookie sessions live: <see cref="SessionStore"/> in this process (<c>-cache-type local</c>), or
/// <see cref="SharedSessionStore"/> in the shared cache (<c>redis</c>, <c>memcache</c>), so a session started on one
/// node works on every node and survives restarts. A session holds the version-2 signature header, which
/// <see cref="RequestAuthenticator"/> verifies against the account's secret on every request.</summary>
internal interface ISessionStore
{
    /// <summary>Starts a session of <paramref name="login"/> holding the signature header, valid until
    /// <paramref name="expiresMs"/> (Unix ms); returns its id for the cookie. Throws <see cref="Cache.CacheException"/>
    /// when a shared store's server is down.</summary>
    ValueTask<string> StartAsync(string login, string signatureHeader, long expiresMs, CancellationToken cancellationToken = default);

    /// <summary>The signature header of a live session, or null. Throws <see cref="Cache.CacheException"/> when a
    /// shared store's server is down.</summary>
    ValueTask<string?> FindAsync(string? id, CancellationToken cancellationToken = default);

    /// <summary>Ends a session. Throws <see cref="Cache.CacheException"/> when a shared store's server is down.</summary>
    ValueTask EndAsync(string? id, CancellationToken cancellationToken = default);

    /// <summary>Ends every session of <paramref name="login"/> (its secret changed, it was deleted). Throws
    /// <see cref="Cache.CacheException"/> when a shared store's server is down.</summary>
    ValueTask EndAllAsync(string login, CancellationToken cancellationToken = default);
}
