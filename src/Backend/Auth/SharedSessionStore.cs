using Backend.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backend.Cache;
using Microsoft.Extensions.Logging;

namespace Backend.Auth;

/// <summary>Cookie sessions in the shared cache (<c>-cache-type redis</c> or <c>memcache</c>): a session started on
/// one node works on every node using the same cache and survives restarts of them all. Keys (under the cache's own
/// prefix, <c>bk:cache:</c> on Redis):
/// <list type="bullet">
/// <item><c>session:ID</c>: JSON <c>{"l":login,"g":generation,"e":expires,"h":signature header}</c>, with the
/// session's remaining age as its TTL, so it goes by itself.</item>
/// <item><c>session:g:ACCOUNT</c>: the account's generation, a counter bumped by <see cref="EndAllAsync"/> (secret
/// changed, account deleted): a session of an older generation is refused (and deleted) on every node at once.</item>
/// <item><c>session:n:ACCOUNT</c> and <c>session:s:ACCOUNT:K</c>: the per-account bound. Each start takes the next
/// number N of the account's counter (atomic on every kind) and the slot <c>N mod max</c>; the session that held the
/// slot ends. So an account keeps at most <c>-api-session-max-per-account</c> sessions, its oldest started ending first
/// (not its least recently used: that would cost a write per request), and one account never ends another's.</item>
/// </list>
/// ACCOUNT is the SHA-256 of the login (base64url), so any login makes a short key every kind accepts. The counters
/// have no TTL (two small keys per account that ever started a session; the server's eviction bounds them); an
/// evicted generation reads as 0, which refuses newer sessions (safe) and could let an ended one through only until the
/// signature check refuses it (its secret changed, its account gone). There is no global bound
/// (<c>-api-session-max</c> is the in-process store's): the shared server bounds itself by its memory and eviction.
/// A server that is down fails the call with <see cref="CacheException"/>, counted in <see cref="Failures"/> and
/// logged once per outage.</summary>
internal sealed partial class SharedSessionStore(ICache cache, int maxPerAccount, TimeProvider time, ILogger<SharedSessionStore> logger) : ISessionStore
{
    private const string Prefix = "session:";

    // Set while the cache fails: an outage is logged once when it starts and once when it ends.
    private readonly Outage _outage = new();

    /// <summary>Most sessions kept per account.</summary>
    public int MaxPerAccount { get; } = maxPerAccount >= 1 ? maxPerAccount : throw new ArgumentOutOfRangeException(nameof(maxPerAccount));

    /// <summary>Calls that failed because the cache server was down, for metrics.</summary>
    public long Failures => _outage.Count;

    /// <summary>The cache key of a session.</summary>
    internal static string Key(string id) => Prefix + id;

    /// <summary>The account part of the per-account keys.</summary>
    internal static string Account(string login) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(login))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <inheritdoc />
    public async ValueTask<string> StartAsync(string login, string signatureHeader, long expiresMs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(login);
        ArgumentNullException.ThrowIfNull(signatureHeader);
        var id = SessionStore.NewId();
        var ttl = expiresMs - time.GetUtcNow().ToUnixTimeMilliseconds();
        // Already expired (-api-session-age 0): nothing to keep, the id finds nothing.
        if (ttl <= 0) return id;
        var age = TimeSpan.FromMilliseconds(ttl);
        var account = Account(login);
        await Call(async () =>
        {
            var generation = ParseLong(await cache.GetAsync(GenerationKey(account), cancellationToken));
            var n = await cache.IncrAsync(Prefix + "n:" + account, 1, null, cancellationToken);
            var slot = Prefix + "s:" + account + ":" + (n % MaxPerAccount).ToString(CultureInfo.InvariantCulture);
            if (await cache.GetAsync(slot, cancellationToken) is { } old && ValidId(old)) await cache.DelAsync(Key(old), cancellationToken);
            var value = JsonSerializer.Serialize(new SessionValue(login, generation, expiresMs, signatureHeader), SessionJson.Default.SessionValue);
            await cache.PutAsync(Key(id), value, age, cancellationToken);
            await cache.PutAsync(slot, id, age, cancellationToken);
            return 0;
        });
        return id;
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindAsync(string? id, CancellationToken cancellationToken = default)
    {
        // Not an id this store made: no cache call (a long or odd cookie must not reach the server as a key).
        if (id is null || !ValidId(id)) return null;
        return await Call(async () =>
        {
            if (await cache.GetAsync(Key(id), cancellationToken) is not { } text || Parse(text) is not { } session) return null;
            if (session.E <= time.GetUtcNow().ToUnixTimeMilliseconds()) return null;
            if (ParseLong(await cache.GetAsync(GenerationKey(Account(session.L)), cancellationToken)) != session.G)
            {
                await cache.DelAsync(Key(id), cancellationToken);
                return null;
            }
            return session.H;
        });
    }

    /// <inheritdoc />
    public async ValueTask EndAsync(string? id, CancellationToken cancellationToken = default)
    {
        if (id is null || !ValidId(id)) return;
        await Call(async () => await cache.DelAsync(Key(id), cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask EndAllAsync(string login, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(login);
        await Call(async () => await cache.IncrAsync(GenerationKey(Account(login)), 1, null, cancellationToken));
    }

    private static string GenerationKey(string account) => Prefix + "g:" + account;

    // The ids SessionStore.NewId makes: 43 base64url characters.
    private static bool ValidId(string id) => id.Length == 43 && id.AsSpan().IndexOfAnyExcept(IdChars) < 0;

    private static readonly System.Buffers.SearchValues<char> IdChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static long ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static SessionValue? Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, SessionJson.Default.SessionValue) is { L: not null, H: not null } v ? v : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async ValueTask<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            var result = await call();
            if (_outage.Recovered()) LogRecovered(logger);
            return result;
        }
        catch (CacheException ex) when (!ex.IsBadInput)
        {
            if (_outage.Failed()) LogFailing(logger, ex.Message);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "cookie sessions are unavailable: {Reason}; further failures are counted, not logged, until the cache recovers")]
    private static partial void LogFailing(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "cookie sessions are available again")]
    private static partial void LogRecovered(ILogger logger);
}

/// <summary>A session as stored: login, generation, expires (Unix ms), signature header.</summary>
internal sealed record SessionValue(string L, long G, long E, string H);

[System.Text.Json.Serialization.JsonSerializable(typeof(SessionValue))]
internal sealed partial class SessionJson : System.Text.Json.Serialization.JsonSerializerContext;
