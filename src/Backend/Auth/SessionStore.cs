using System.Security.Cryptography;

namespace Backend.Auth;

/// <summary>Server-side sessions started by <c>/account/get?_session=1</c>. The cookie carries only a random id;
/// the store keeps the version-2 signature, which is verified against the account's secret on each request, so a
/// changed secret or a deleted account ends the session too. In-memory: sessions do not survive a restart.
/// Bounded three ways, never at random: a session ends at its expiry (<c>-api-session-age</c>); an account holds at
/// most <see cref="MaxPerAccount"/> sessions (<c>-api-session-max-per-account</c>), starting one more ends that
/// account's least recently used one, so no account can push out the sessions of others; and the store holds at
/// most <see cref="MaxSessions"/> (<c>-api-session-max</c>), beyond which the least recently used session of all
/// ends. Thread-safe. Used with <c>-cache-type local</c>; a shared cache kind uses <see cref="SharedSessionStore"/>.</summary>
internal sealed class SessionStore : ISessionStore
{
    /// <summary>Cookie name.</summary>
    public const string CookieName = "bk_session";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);

    // Each account's sessions, most recently used first.
    private readonly Dictionary<string, LinkedList<Entry>> _byAccount = new(StringComparer.Ordinal);

    // Every session, most recently used first.
    private readonly LinkedList<Entry> _lru = new();
    private readonly TimeProvider _time;

    /// <summary>Creates a store with its bounds.</summary>
    public SessionStore(int maxSessions, int maxPerAccount, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerAccount, 1);
        ArgumentNullException.ThrowIfNull(time);
        MaxSessions = maxSessions;
        MaxPerAccount = maxPerAccount;
        _time = time;
    }

    /// <summary>Most sessions kept.</summary>
    public int MaxSessions { get; }

    /// <summary>Most sessions kept per account.</summary>
    public int MaxPerAccount { get; }

    /// <summary>Sessions kept now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byId.Count;
        }
    }

    /// <summary>Starts a session of <paramref name="login"/> holding the signature header, valid until
    /// <paramref name="expiresMs"/> (Unix ms); returns its id for the cookie.</summary>
    public string Start(string login, string signatureHeader, long expiresMs)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(signatureHeader);
        var id = NewId();
        lock (_lock)
        {
            if (!_byAccount.TryGetValue(login, out var own)) _byAccount[login] = own = new LinkedList<Entry>();
            while (own.Count >= MaxPerAccount) Remove(own.Last!.Value);
            while (_byId.Count >= MaxSessions) Remove(_lru.Last!.Value);
            // Removing the account's last session dropped its list: take it again.
            if (!_byAccount.TryGetValue(login, out own)) _byAccount[login] = own = new LinkedList<Entry>();
            var entry = new Entry(id, login, signatureHeader, expiresMs);
            entry.Global = _lru.AddFirst(entry);
            entry.Own = own.AddFirst(entry);
            _byId[id] = entry;
        }
        return id;
    }

    /// <summary>The signature header of a live session, or null; a found session becomes the most recently used, an
    /// expired one is ended.</summary>
    public string? Find(string? id)
    {
        if (id is null) return null;
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var entry)) return null;
            if (entry.ExpiresMs <= _time.GetUtcNow().ToUnixTimeMilliseconds())
            {
                Remove(entry);
                return null;
            }
            MoveFirst(_lru, entry.Global!);
            MoveFirst(entry.Own!.List!, entry.Own);
            return entry.Header;
        }
    }

    /// <summary>Ends a session.</summary>
    public void End(string? id)
    {
        if (id is null) return;
        lock (_lock)
        {
            if (_byId.TryGetValue(id, out var entry)) Remove(entry);
        }
    }

    /// <summary>Ends every session of <paramref name="login"/>.</summary>
    public void EndAll(string login)
    {
        ArgumentNullException.ThrowIfNull(login);
        lock (_lock)
        {
            if (!_byAccount.TryGetValue(login, out var own)) return;
            while (own.Count > 0) Remove(own.First!.Value);
        }
    }

    /// <inheritdoc />
    ValueTask<string> ISessionStore.StartAsync(string login, string signatureHeader, long expiresMs, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Start(login, signatureHeader, expiresMs));

    /// <inheritdoc />
    ValueTask<string?> ISessionStore.FindAsync(string? id, CancellationToken cancellationToken) => ValueTask.FromResult(Find(id));

    /// <inheritdoc />
    ValueTask ISessionStore.EndAsync(string? id, CancellationToken cancellationToken)
    {
        End(id);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    ValueTask ISessionStore.EndAllAsync(string login, CancellationToken cancellationToken)
    {
        EndAll(login);
        return ValueTask.CompletedTask;
    }

    /// <summary>A new random session id (256 bits, base64url).</summary>
    internal static string NewId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void MoveFirst(LinkedList<Entry> list, LinkedListNode<Entry> node)
    {
        if (node == list.First) return;
        list.Remove(node);
        list.AddFirst(node);
    }

    private void Remove(Entry entry)
    {
        _byId.Remove(entry.Id);
        _lru.Remove(entry.Global!);
        var own = entry.Own!.List!;
        own.Remove(entry.Own);
        if (own.Count == 0) _byAccount.Remove(entry.Login);
    }

    private sealed class Entry(string id, string login, string header, long expiresMs)
    {
        public string Id { get; } = id;
        public string Login { get; } = login;
        public string Header { get; } = header;
        public long ExpiresMs { get; } = expiresMs;
        public LinkedListNode<Entry>? Global { get; set; }
        public LinkedListNode<Entry>? Own { get; set; }
    }
}
