using System.Collections.Concurrent;
using System.Diagnostics;
using Backend.Data;

namespace Backend.Metrics;

/// <summary>The <see cref="Db"/> facade's measurements on <see cref="BackendMetrics"/>: time, requests in progress and
/// errors of every driver call, per pool, and retries. Costs nothing while no listener has enabled the instruments. A
/// call that completed before it returned (SQLite) is recorded at once, without an extra async layer.</summary>
internal sealed class DbMeter(BackendMetrics metrics)
{
    private readonly ConcurrentDictionary<string, KeyValuePair<string, object?>> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, DbOperation), TagList> _tags = new();

    private KeyValuePair<string, object?> Pool(IDbDriver driver) => _pools.GetOrAdd(driver.Name, n => new("db.pool", n));

    private TagList Tags(IDbDriver driver, DbOperation op) => _tags.GetOrAdd((driver.Name, op), k => new TagList
    {
        { "db.pool", k.Item1 },
        { "db.operation", k.Item2.ToString() },
    });

    /// <summary>The start of a driver call: its timestamp, or 0 when nothing listens.</summary>
    public long Start(IDbDriver driver)
    {
        if (!metrics.DbDuration.Enabled && !metrics.DbActive.Enabled) return 0;
        metrics.DbActive.Add(1, Pool(driver));
        return Stopwatch.GetTimestamp();
    }

    /// <summary>The end of a driver call started at <paramref name="started"/> (0: not measured).</summary>
    public void End(IDbDriver driver, DbOperation op, long started, Exception? error)
    {
        if (started == 0) return;
        var pool = Pool(driver);
        metrics.DbActive.Add(-1, pool);
        metrics.DbDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Tags(driver, op));
        if (error is not null && error is not OperationCanceledException)
            metrics.DbErrors.Add(1, pool, new("error.type", error is DbException db ? db.Kind.ToString() : error.GetType().Name));
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
