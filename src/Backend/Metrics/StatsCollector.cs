using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Backend.Metrics;

/// <summary>A meter and a histogram of one kind of timed event (requests of a route, calls to a pool): the reference's
/// <c>{ "meter": ..., "histogram": ... }</c>, durations in milliseconds.</summary>
internal sealed class TimerStat(TimeProvider time)
{
    public MeterStat Meter { get; } = new(time);

    public HistogramStat Histogram { get; } = new(time);

    public void Record(double ms)
    {
        Meter.Mark();
        Histogram.Update(ms);
    }

    public TimerSnapshot Snapshot() => new(Meter.Snapshot(), Histogram.Snapshot());
}

/// <summary>A <see cref="TimerStat"/> as shown.</summary>
internal sealed record TimerSnapshot(MeterSnapshot Meter, HistogramSnapshot Histogram)
{
    public static readonly TimerSnapshot Empty = new(MeterSnapshot.Empty, HistogramSnapshot.Empty);

    public Dictionary<string, object> ToJson() => new(StringComparer.Ordinal) { ["meter"] = Meter.ToJson(), ["histogram"] = Histogram.ToJson() };

    public static TimerSnapshot Merge(IEnumerable<TimerSnapshot> parts)
    {
        var list = parts.ToList();
        return new(MeterSnapshot.Sum(list.Select(p => p.Meter)), HistogramSnapshot.Merge([.. list.Select(p => p.Histogram)]));
    }
}

/// <summary>Work in progress (requests on a pool, API requests): the count now, and a histogram of the count each
/// time one started (the reference's <c>queue</c>).</summary>
internal sealed class QueueStat(TimeProvider time)
{
    private long _current;

    public HistogramStat Queue { get; } = new(time);

    public long Current => Interlocked.Read(ref _current);

    public void Add(long delta)
    {
        var now = Interlocked.Add(ref _current, delta);
        if (delta > 0) Queue.Update(now);
    }
}

/// <summary>One database pool's figures.</summary>
internal sealed class PoolStat(TimeProvider time)
{
    public QueueStat Queue { get; } = new(time);

    public TimerStat Response { get; } = new(time);

    public long Errors;

    public long Retries;
}

/// <summary>Listens to the platform's instruments (<see cref="BackendMetrics"/>) and ASP.NET Core's request duration
/// and active requests, and keeps the reference's figures for <c>/system/stats/get</c>: meters with 1/5/15 minute
/// rates and histograms from decaying reservoirs, per route, per pool, for the Db cache, the cache, pub/sub and jobs,
/// and samples of the process's memory and the host's load every 5 s. One per app (DI singleton); starts listening
/// when created.</summary>
internal sealed class StatsCollector : IDisposable
{
    private const string Hosting = "Microsoft.AspNetCore.Hosting";
    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, TimerStat> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PoolStat> _pools = new(StringComparer.Ordinal);
    private readonly ITimer _sampler;
    private long _busy;
    private long _dbCacheHits;
    private long _dbCacheMisses;
    private long _cacheHits;
    private long _cacheMisses;
    private long _sent;
    private long _received;
    private long _failed;
    private long _jobFailures;

    public StatsCollector(TimeProvider time)
    {
        _time = time;
        Api = new TimerStat(time);
        ApiQueue = new QueueStat(time);
        Pool = new PoolStat(time);
        Cache = new TimerStat(time);
        Jobs = new TimerStat(time);
        Rss = new HistogramStat(time);
        Heap = new HistogramStat(time);
        LoadAvg = new HistogramStat(time);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BackendMetrics.MeterName
                || (instrument.Meter.Name == Hosting && instrument.Name is "http.server.request.duration" or "http.server.active_requests"))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.Start();
        Sample();
        _sampler = time.CreateTimer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    public TimerStat Api { get; }

    public QueueStat ApiQueue { get; }

    /// <summary>Every pool together (the reference's single <c>pool</c>).</summary>
    public PoolStat Pool { get; }

    public TimerStat Cache { get; }

    public TimerStat Jobs { get; }

    public HistogramStat Rss { get; }

    public HistogramStat Heap { get; }

    public HistogramStat LoadAvg { get; }

    /// <summary>How long work waits for a thread-pool thread now, in ms (set by the busy check when it runs).</summary>
    public double Latency { get; set; }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var t in tags)
        {
            if (t.Key == name) return t.Value as string ?? t.Value?.ToString();
        }
        return null;
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var ms = value * 1000;
        switch (instrument.Name)
        {
            case "http.server.request.duration":
                Api.Record(ms);
                if (Tag(tags, "http.route") is { Length: > 0 } route) _routes.GetOrAdd(route, _ => new TimerStat(_time)).Record(ms);
                break;
            case "backend.db.duration":
                Pool.Response.Record(ms);
                PoolOf(tags).Response.Record(ms);
                break;
            case "backend.cache.duration":
                Cache.Record(ms);
                break;
            case "backend.jobs.duration":
                Jobs.Record(ms);
                break;
        }
    }

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "http.server.active_requests":
                ApiQueue.Add(value);
                break;
            case "backend.db.active":
                Pool.Queue.Add(value);
                PoolOf(tags).Queue.Add(value);
                break;
            case "backend.db.errors":
                Interlocked.Add(ref Pool.Errors, value);
                Interlocked.Add(ref PoolOf(tags).Errors, value);
                break;
            case "backend.db.retries":
                Interlocked.Add(ref Pool.Retries, value);
                Interlocked.Add(ref PoolOf(tags).Retries, value);
                break;
            case "backend.db.cache.hits":
                Interlocked.Add(ref _dbCacheHits, value);
                break;
            case "backend.db.cache.misses":
                Interlocked.Add(ref _dbCacheMisses, value);
                break;
            case "backend.cache.hits":
                Interlocked.Add(ref _cacheHits, value);
                break;
            case "backend.cache.misses":
                Interlocked.Add(ref _cacheMisses, value);
                break;
            case "backend.pubsub.sent":
                Interlocked.Add(ref _sent, value);
                break;
            case "backend.pubsub.received":
                Interlocked.Add(ref _received, value);
                break;
            case "backend.pubsub.failed":
                Interlocked.Add(ref _failed, value);
                break;
            case "backend.jobs.runs":
                if (Tag(tags, "job.status") is not (null or "ok")) Interlocked.Add(ref _jobFailures, value);
                break;
            case "backend.api.busy":
                Interlocked.Add(ref _busy, value);
                break;
        }
    }

    private PoolStat PoolOf(ReadOnlySpan<KeyValuePair<string, object?>> tags) => _pools.GetOrAdd(Tag(tags, "db.pool") ?? "", _ => new PoolStat(_time));

    private void Sample()
    {
        Rss.Update(Environment.WorkingSet);
        Heap.Update(GC.GetGCMemoryInfo().HeapSizeBytes);
        LoadAvg.Update(LoadAverage.OneMinute());
    }

    /// <summary>This process's figures now.</summary>
    public ProcessStats Snapshot()
    {
        PoolSnapshot Pool(PoolStat p, bool withCache) => new(p.Queue.Queue.Snapshot(), p.Queue.Current, p.Response.Snapshot(), Interlocked.Read(ref p.Errors), Interlocked.Read(ref p.Retries),
            withCache ? Interlocked.Read(ref _dbCacheHits) : 0, withCache ? Interlocked.Read(ref _dbCacheMisses) : 0);
        return new ProcessStats
        {
            Processes = 1,
            Latency = Latency,
            Busy = Interlocked.Read(ref _busy),
            Api = new ApiSnapshot(ApiQueue.Queue.Snapshot(), ApiQueue.Current, Api.Snapshot(), _routes.ToDictionary(r => r.Key, r => r.Value.Snapshot(), StringComparer.Ordinal)),
            Pool = Pool(this.Pool, true),
            Pools = _pools.Where(p => p.Key.Length > 0).ToDictionary(p => p.Key, p => Pool(p.Value, false), StringComparer.Ordinal),
            Cache = new CacheSnapshot(Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _cacheMisses), Cache.Snapshot()),
            PubSub = new PubSubSnapshot(Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _failed)),
            Jobs = new JobsSnapshot(Jobs.Meter.Count, Interlocked.Read(ref _jobFailures), Jobs.Snapshot()),
            Rss = Rss.Snapshot(),
            Heap = Heap.Snapshot(),
            LoadAvg = LoadAvg.Snapshot(),
        };
    }

    public void Dispose()
    {
        _sampler.Dispose();
        _listener.Dispose();
    }
}
