using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Backend.Auth;

/// <summary>Server-side sessions started by <c>/account/get?_session=1</c>. The cookie carries only a random id;
/// the store keeps the version-2 signature, which is verified against the account's secret on each request, so a
/// changed secret or a deleted account ends the session too. In-memory: sessions do not survive a restart.</summary>
public sealed class SessionStore
{
    /// <summary>Cookie name.</summary>
    public const string CookieName = "bk_session";

    private readonly ConcurrentDictionary<string, string> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session holding the signature header; returns its id for the cookie.</summary>
    public string Start(string signatureHeader)
    {
        if (_sessions.Count > 1_000_000) Prune();
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[id] = signatureHeader;
        return id;
    }

    /// <summary>The signature header of a session, or null.</summary>
    public string? Find(string? id) => id is null ? null : _sessions.GetValueOrDefault(id);

    /// <summary>Ends a session.</summary>
    public void End(string? id)
    {
        if (id is not null) _sessions.TryRemove(id, out _);
    }

    private void Prune()
    {
        // A bound on memory if clients keep starting sessions without ending them: drop half, oldest unknown.
        foreach (var key in _sessions.Keys.Take(_sessions.Count / 2)) _sessions.TryRemove(key, out _);
    }
}
