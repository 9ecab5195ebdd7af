using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backend.Data;
using Backend.PubSub;
using Microsoft.Extensions.Logging;

namespace Backend.Cache;

/// <summary>Keeps the database read cache (<see cref="DbCache"/>) coherent across processes and nodes: a second level
/// in the shared <see cref="ICache"/> (Redis, memcached) in front of the database, and an invalidation broadcast over
/// <see cref="IPubSub"/> that drops a written row from every process's first level.
/// <list type="bullet">
/// <item>Versions, not deletes: every write through the facade increments the row's version key in the shared cache
/// (<c>bk:db:v:HASH</c>; a write of many rows the table's, <c>bk:db:t:TABLE</c>), and a value is stored together with
/// the version that was current before its database read (<c>bk:db:d:HASH</c> = <c>T.R|json</c>). A reader takes a
/// stored value only at the current version, so a slow reader that stores an old row after a write cannot bring it
/// back (the race a delete-based scheme has).</item>
/// <item>The broadcast (channel <c>bk:db:cache</c>, text <c>NODE\u0003TABLE\u0003KEY</c>) reaches the other
/// processes within the transport's latency; until it arrives, a process may serve its first-level copy: that is the
/// consistency bound (docs/cluster.md).</item>
/// <item>Down is not fatal: a shared cache that cannot be reached reads through to the database; a broker that is down
/// leaves other processes' first-level copies to expire (<c>-db-cache-ttl</c>). Both are counted and logged once per
/// outage, never per request.</item>
/// </list>
/// Keys hash the row's identity (pool, table, primary key values) so any key fits memcached's 250 bytes.</summary>
internal sealed partial class DbCacheCluster : IDbCacheCluster, IAsyncDisposable
{
    /// <summary>The pub/sub channel of invalidations.</summary>
    public const string Channel = "bk:db:cache";

    private const char Separator = '\u0003';

    private readonly ICache _cache;
    private readonly IPubSub _pubsub;
    private readonly ILogger _logger;
    private readonly TimeSpan _valueTtl;
    private readonly TimeSpan _versionTtl;
    private readonly string _node = Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
    private readonly PartOutage _cacheOutage;
    private readonly PartOutage _busOutage;
    private DbCache? _target;
    private IAsyncDisposable? _subscription;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>A cluster over <paramref name="cache"/> (used as the second level when <paramref name="shared"/>) and
    /// <paramref name="pubsub"/>; stored values live <paramref name="ttl"/> (<c>-db-cache-ttl</c>).</summary>
    public DbCacheCluster(ICache cache, IPubSub pubsub, bool shared, TimeSpan ttl, ILogger<DbCacheCluster> logger)
    {
        _cache = cache;
        _pubsub = pubsub;
        Shared = shared;
        _logger = logger;
        _valueTtl = ttl > TimeSpan.Zero ? ttl : TimeSpan.FromSeconds(5);
        // Versions outlive every value stored for them many times over (see ReadAsync on a version that restarts at 0).
        _versionTtl = TimeSpan.FromTicks(Math.Max(TimeSpan.FromHours(1).Ticks, _valueTtl.Ticks * 10));
        _cacheOutage = new PartOutage(this, "the shared cache");
        _busOutage = new PartOutage(this, "the invalidation broadcast");
    }

    /// <inheritdoc />
    public bool Shared { get; }

    /// <summary>Shared-cache calls that failed (reads went to the database, versions were not bumped).</summary>
    public long CacheFailures => _cacheOutage.Count;

    /// <summary>Invalidations that could not be broadcast.</summary>
    public long BroadcastFailures => _busOutage.Count;

    /// <summary>Invalidations received from other processes.</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    /// <summary>Starts listening for other processes' invalidations into <paramref name="target"/>. A broker that is
    /// down now is tried again every second in the background until it answers.</summary>
    public async Task StartAsync(DbCache target, CancellationToken cancellationToken)
    {
        _target = target;
        LogStarted(_logger, Shared ? _cache.Kind : "none", _pubsub.GetType().Name);
        if (await TrySubscribe(cancellationToken)) return;
        _ = Task.Run(async () =>
        {
            while (!_stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(1000, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                if (await TrySubscribe(_stopping.Token)) return;
            }
        }, CancellationToken.None);
    }

    private async Task<bool> TrySubscribe(CancellationToken cancellationToken)
    {
        try
        {
            _subscription = await _pubsub.SubscribeAsync(Channel, OnMessage, cancellationToken);
            _busOutage.Recovered();
            return true;
        }
        catch (PubSubException ex)
        {
            _busOutage.Failed(ex.Message);
            return false;
        }
    }

    private void OnMessage(string message)
    {
        var parts = message.Split(Separator);
        if (parts.Length != 3 || parts[0] == _node || _target is not { } target) return;
        Interlocked.Increment(ref _received);
        target.DropRemote(parts[1], parts[2].Length == 0 ? null : parts[2]);
    }

    /// <inheritdoc />
    public async ValueTask<DbSharedRead?> ReadAsync(string table, string key, CancellationToken cancellationToken)
    {
        var hash = Hash(key);
        try
        {
            // Three keys, sent together (both clients pipeline concurrent calls on one connection).
            var tableVersion = _cache.GetAsync(TableKey(table), cancellationToken);
            var rowVersion = _cache.GetAsync(VersionKey(hash), cancellationToken);
            var value = _cache.GetAsync(ValueKey(hash), cancellationToken);
            var version = new DbVersion(Number(await tableVersion), Number(await rowVersion));
            var text = await value;
            _cacheOutage.Recovered();
            // A value counts only at the version it was stored for.
            var stamp = Stamp(version);
            if (text is not null && text.StartsWith(stamp, StringComparison.Ordinal)) return new DbSharedRead(version, text[stamp.Length..]);
            return new DbSharedRead(version, null);
        }
        catch (CacheException ex) when (!ex.IsBadInput)
        {
            _cacheOutage.Failed(ex.Message);
            return null;
        }
    }

    /// <inheritdoc />
    public void Store(string key, DbVersion version, string text) => _ = StoreAsync(key, version, text);

    private async Task StoreAsync(string key, DbVersion version, string text)
    {
        try
        {
            await _cache.PutAsync(ValueKey(Hash(key)), Stamp(version) + text, _valueTtl, _stopping.Token);
        }
        catch (CacheException ex) when (!ex.IsBadInput)
        {
            _cacheOutage.Failed(ex.Message);
        }
        catch (CacheException)
        {
            // a value the server refuses (over its item size): the row is simply not kept in the second level
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    /// <inheritdoc />
    public async ValueTask InvalidateAsync(string table, string? key)
    {
        // The write already happened: neither step may fail it, and neither waits for the caller's token.
        if (Shared)
        {
            try
            {
                await _cache.IncrAsync(key is null ? TableKey(table) : VersionKey(Hash(key)), 1, _versionTtl, CancellationToken.None);
                _cacheOutage.Recovered();
            }
            catch (CacheException ex)
            {
                _cacheOutage.Failed(ex.Message);
            }
        }
        try
        {
            await _pubsub.PublishAsync(Channel, string.Concat(_node, Separator.ToString(), table, Separator.ToString(), key ?? ""), CancellationToken.None);
            _busOutage.Recovered();
        }
        catch (PubSubException ex)
        {
            _busOutage.Failed(ex.Message);
        }
    }

    private static string Stamp(DbVersion v) =>
        string.Create(CultureInfo.InvariantCulture, $"{v.Table}.{v.Row}|");

    private static long Number(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static string TableKey(string table) => "bk:db:t:" + table;

    private static string VersionKey(string hash) => "bk:db:v:" + hash;

    private static string ValueKey(string hash) => "bk:db:d:" + hash;

    /// <summary>128 bits of SHA-256 of the row's identity, URL-safe base64: any key fits every cache kind.</summary>
    internal static string Hash(string key)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        return Convert.ToBase64String(digest[..16]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_subscription is not null) await _subscription.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "database cache: {Part} is not available: {Reason}; reads go to the database and other processes see writes when their copies expire; further failures are counted, not logged, until it recovers")]
    private static partial void LogFailing(ILogger logger, string part, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "database cache: shared level {Cache}, invalidations over {PubSub}")]
    private static partial void LogStarted(ILogger logger, string cache, string pubsub);

    [LoggerMessage(Level = LogLevel.Information, Message = "database cache: {Part} is available again")]
    private static partial void LogRecovered(ILogger logger, string part);

    /// <summary>Failures of one part, logged once when an outage starts and once when it ends.</summary>
    private sealed class PartOutage(DbCacheCluster owner, string part)
    {
        private readonly Outage _outage = new();

        public long Count => _outage.Count;

        public void Failed(string reason)
        {
            if (_outage.Failed()) LogFailing(owner._logger, part, reason);
        }

        public void Recovered()
        {
            if (_outage.Recovered()) LogRecovered(owner._logger, part);
        }
    }
}
