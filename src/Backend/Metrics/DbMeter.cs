using System.Collections.Concurrent;
using System.Diagnostics;
using Backend.Data;

namespace Backend.Metrics;

/// <summary>The <see cref="Db"/> facade's measurements on <see cref="BackendMetrics"/>: time, requests in progress and
/// errors of every driver call, per pool, and retries; and, when statistics are kept (not <c>-api-no-metrics</c>), the
/// same call's time and queue recorded straight into <see cref="StatsCollector"/>'s figures of the pool. Costs nothing
/// while no listener has enabled the instruments and there are no statistics. A call that completed before it returned
/// (SQLite) is recorded at once, without an extra async layer.</summary>
internal sealed class DbMeter(BackendMetrics metrics, StatsCollector? stats = null)
{
    private static readonly int Operations = Enum.GetValues<DbOperation>().Length;

    // By driver instance (one per pool, living as long as the app): a reference lookup, not a hash of the pool's name.
    private readonly ConcurrentDictionary<IDbDriver, DriverTags> _drivers = new(ReferenceEqualityComparer.Instance);

    /// <summary>A pool's tags, made once: the pool alone, and the pool with each operation; and its figures in
    /// <see cref="StatsCollector"/>, recorded into directly (no instrument dispatch, no tag list).</summary>
    private sealed class DriverTags(string pool, PoolStat? stats)
    {
        public readonly KeyValuePair<string, object?> Pool = new("db.pool", pool);

        public readonly PoolStat? Stats = stats;

        public readonly TagList[] ByOperation = [.. Enumerable.Range(0, Operations).Select(op => new TagList
        {
            { "db.pool", pool },
            { "db.operation", ((DbOperation)op).ToString() },
        })];
    }

    private DriverTags TagsOf(IDbDriver driver) =>
        _drivers.TryGetValue(driver, out var tags) ? tags : _drivers.GetOrAdd(driver, static (d, s) => new DriverTags(d.Name, s?.PoolStats(d.Name)), stats);

    private KeyValuePair<string, object?> Pool(IDbDriver driver) => TagsOf(driver).Pool;

    /// <summary>The start of a driver call: its timestamp, or 0 when nothing listens and there are no statistics.</summary>
    public long Start(IDbDriver driver)
    {
        if (stats is null && !metrics.DbDuration.Enabled && !metrics.DbActive.Enabled) return 0;
        var tags = TagsOf(driver);
        tags.Stats?.Queue.Add(1, stats!.Now());
        if (metrics.DbActive.Enabled) metrics.DbActive.Add(1, tags.Pool);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>The end of a driver call started at <paramref name="started"/> (0: not measured).</summary>
    public void End(IDbDriver driver, DbOperation op, long started, Exception? error)
    {
        if (started == 0) return;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var tags = TagsOf(driver);
        if (tags.Stats is { } pool)
        {
            var now = stats!.Now();
            pool.Queue.Add(-1, now);
            pool.Response.Record(seconds * 1000, now);
        }
        if (metrics.DbActive.Enabled) metrics.DbActive.Add(-1, tags.Pool);
        if (metrics.DbDuration.Enabled)
        {
            var i = (int)op;
            if ((uint)i < (uint)tags.ByOperation.Length) metrics.DbDuration.Record(seconds, in tags.ByOperation[i]);
            else metrics.DbDuration.Record(seconds, new TagList { { "db.pool", tags.Pool.Value }, { "db.operation", op.ToString() } });
        }
        if (error is not null && error is not OperationCanceledException)
            metrics.DbErrors.Add(1, tags.Pool, new("error.type", error is DbException db ? db.Kind.ToString() : error.GetType().Name));
    }

    /// <summary>Measures <paramref name="task"/>, a driver call started at <paramref name="started"/>.</summary>
    public Task<DbResult> Track(IDbDriver driver, DbRequest request, Task<DbResult> task, long started)
    {
        if (started == 0) return task;
        if (task.IsCompleted)
        {
            End(driver, request.Operation, started, task.Exception?.InnerException);
            return task;
        }
        return Await(driver, request.Operation, task, started);
    }

    private async Task<DbResult> Await(IDbDriver driver, DbOperation op, Task<DbResult> task, long started)
    {
        try
        {
            var result = await task.ConfigureAwait(false);
            End(driver, op, started, null);
            return result;
        }
        catch (Exception ex)
        {
            End(driver, op, started, ex);
            throw;
        }
    }

    public void Retry(IDbDriver driver) => metrics.DbRetries.Add(1, Pool(driver));

    public void CacheHit(string table) => metrics.DbCacheHits.Add(1, new KeyValuePair<string, object?>("db.table", table));

    public void CacheMiss(string table) => metrics.DbCacheMisses.Add(1, new KeyValuePair<string, object?>("db.table", table));
}
