using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Backend.Metrics;

/// <summary>A meter and a histogram of one kind of timed event (requests of a route, calls to a pool): the reference's
/// <c>{ "meter": ..., "histogram": ... }</c>, durations in milliseconds.</summary>
internal sealed class TimerStat(StatClock clock)
{
    public TimerStat(TimeProvider time)
        : this(new StatClock(time))
    {
    }

    public MeterStat Meter { get; } = new(clock);

    public HistogramStat Histogram { get; } = new(clock);

    public void Record(double ms) => Record(ms, clock.NowMs());

    public void Record(double ms, long now)
    {
        Meter.Mark(1, now);
        Histogram.Update(ms, now);
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

/// <summary>Copies of a statistic, one per core (at most <see cref="MaxStripes"/>), each written by the threads running
/// on its core and added up when read: the cores do not pass the statistic's cache lines and lock back and forth on
/// every request (bench/MetricsRecording <c>--contended</c>: 2 threads recording into one copy cost twice what one
/// thread does).</summary>
internal sealed class Striped<T>
    where T : class
{
    public const int MaxStripes = 8;
    private static readonly int Stripes = Math.Clamp(Environment.ProcessorCount, 1, MaxStripes);

    private readonly T[] _stripes;

    public Striped(Func<T> create)
    {
        _stripes = new T[Stripes];
        for (var i = 0; i < _stripes.Length; i++) _stripes[i] = create();
    }

    /// <summary>The copy of the core this thread runs on now (Thread.GetCurrentProcessorId: cached by the runtime,
    /// about a nanosecond; a thread that moves meanwhile only writes another core's copy, which stays correct).</summary>
    public T Local => _stripes[(uint)Thread.GetCurrentProcessorId() % (uint)_stripes.Length];

    public IReadOnlyList<T> All => _stripes;
}

/// <summary>A <see cref="TimerStat"/> per core, read as one (<see cref="TimerSnapshot.Merge"/>).</summary>
internal sealed class StripedTimer(StatClock clock)
{
    private readonly Striped<TimerStat> _stripes = new(() => new TimerStat(clock));

    public void Record(double ms, long now) => _stripes.Local.Record(ms, now);

    public TimerSnapshot Snapshot() => TimerSnapshot.Merge(_stripes.All.Select(s => s.Snapshot()));
}

/// <summary>Work in progress (requests on a pool, API requests): the count now, and a histogram of the count each
/// time one started (the reference's <c>queue</c>). The count is one for all cores; the histogram is per core.</summary>
internal sealed class QueueStat(StatClock clock)
{
    private readonly Striped<HistogramStat> _queue = new(() => new HistogramStat(clock));
    private long _current;

    public long Current => Interlocked.Read(ref _current);

    public void Add(long delta, long now)
    {
        var current = Interlocked.Add(ref _current, delta);
        if (delta > 0) _queue.Local.Update(current, now);
    }

    public HistogramSnapshot Snapshot() => HistogramSnapshot.Merge([.. _queue.All.Select(h => h.Snapshot())]);
}

/// <summary>One database pool's figures.</summary>
internal sealed class PoolStat(StatClock clock)
{
    public QueueStat Queue { get; } = new(clock);

    public StripedTimer Response { get; } = new(clock);

    public long Errors;

    public long Retries;

    public PoolSnapshot Snapshot() =>
        new(Queue.Snapshot(), Queue.Current, Response.Snapshot(), Interlocked.Read(ref Errors), Interlocked.Read(ref Retries), 0, 0);
}

/// <summary>Listens to the platform's instruments (<see cref="BackendMetrics"/>) and ASP.NET Core's request duration
/// and active requests, and keeps the reference's figures for <c>/system/stats/get</c>: meters with 1/5/15 minute
/// rates and histograms from decaying reservoirs, per route, per pool, for the Db cache, the cache, pub/sub and jobs,
/// and samples of the process's memory and the host's load every 5 s. One per app (DI singleton); starts listening
/// when created.
/// <para>Cheap on the request path (issue 13, point 7; bench/README.md "Metrics cost"): each measurement is recorded
/// once, in its route's or its pool's statistics, and the totals (<c>api</c>, <c>pool</c>) are added up when a
/// snapshot is taken (<see cref="MeterSnapshot.Sum"/>, <see cref="HistogramSnapshot.Merge"/>: exact counts, moments and
/// rates; the percentiles from the parts' samples weighted by their counts). A callback reads the clock once
/// (<see cref="StatClock"/>), finds what to do from the state its instrument was enabled with rather than its name, and
/// finds a route's or pool's statistics by the tag's string instance first (ASP.NET Core and DbMeter pass the same one
/// every time) before hashing it.</para></summary>
internal sealed class StatsCollector : IDisposable
{
    private const int MaxAliases = 1024;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(5);

    private readonly StatClock _clock;
    private readonly MeterListener _listener = new();
    private readonly StatTable<StripedTimer> _routes;
    private readonly StatTable<PoolStat> _pools;
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

    /// <summary>What a callback does, by instrument (the state it was enabled with).</summary>
    private enum Kind
    {
        DbErrors,
        DbRetries,
        DbCacheHits,
        DbCacheMisses,
        CacheDuration,
        CacheHits,
        CacheMisses,
        Sent,
        Received,
        Failed,
        JobRuns,
        JobDuration,
        Busy,
    }

    private static readonly Dictionary<string, Kind> Kinds = new(StringComparer.Ordinal)
    {
        ["backend.db.errors"] = Kind.DbErrors,
        ["backend.db.retries"] = Kind.DbRetries,
        ["backend.db.cache.hits"] = Kind.DbCacheHits,
        ["backend.db.cache.misses"] = Kind.DbCacheMisses,
        ["backend.cache.duration"] = Kind.CacheDuration,
        ["backend.cache.hits"] = Kind.CacheHits,
        ["backend.cache.misses"] = Kind.CacheMisses,
        ["backend.pubsub.sent"] = Kind.Sent,
        ["backend.pubsub.received"] = Kind.Received,
        ["backend.pubsub.failed"] = Kind.Failed,
        ["backend.jobs.runs"] = Kind.JobRuns,
        ["backend.jobs.duration"] = Kind.JobDuration,
        ["backend.api.busy"] = Kind.Busy,
    };

    // The states, boxed once.
    private static readonly Dictionary<Kind, object> States = Enum.GetValues<Kind>().ToDictionary(k => k, k => (object)k);

    /// <summary>A collector of the instruments created by <paramref name="meterFactory"/> (this app's: other hosts in
    /// the process, as in tests, are not mixed in), or of every instrument of those names when it is null.</summary>
    public StatsCollector(TimeProvider time, IMeterFactory? meterFactory = null)
    {
        _clock = new StatClock(time);
        _routes = new StatTable<StripedTimer>(static c => new StripedTimer(c), _clock);
        _pools = new StatTable<PoolStat>(static c => new PoolStat(c), _clock);
        ApiQueue = new QueueStat(_clock);
        Cache = new StripedTimer(_clock);
        Jobs = new StripedTimer(_clock);
        Rss = new HistogramStat(_clock);
        Heap = new HistogramStat(_clock);
        LoadAvg = new HistogramStat(_clock);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((meterFactory is null || instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, meterFactory))
                && instrument.Meter.Name == BackendMetrics.MeterName && Kinds.TryGetValue(instrument.Name, out var kind))
            {
                listener.EnableMeasurementEvents(instrument, States[kind]);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.Start();
        Sample();
        _sampler = time.CreateTimer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    public QueueStat ApiQueue { get; }

    public StripedTimer Cache { get; }

    public StripedTimer Jobs { get; }

    public HistogramStat Rss { get; }

    public HistogramStat Heap { get; }

    public HistogramStat LoadAvg { get; }

    /// <summary>A request starts (<see cref="RequestStatsMiddleware"/>).</summary>
    public void RequestStarted() => ApiQueue.Add(1, _clock.NowMs());

    /// <summary>A request of <paramref name="route"/> (the route pattern; "" for none) ended after <paramref name="ms"/>.</summary>
    public void RequestEnded(string route, double ms)
    {
        var now = _clock.NowMs();
        ApiQueue.Add(-1, now);
        _routes.Get(route).Record(ms, now);
    }

    /// <summary>The figures of the pool <paramref name="name"/>, which <see cref="DbMeter"/> records into directly.</summary>
    public PoolStat PoolStats(string name) => _pools.Get(name);

    /// <summary>The statistics' clock now (<see cref="StatClock.NowMs"/>).</summary>
    public long Now() => _clock.NowMs();

    /// <summary>How long work waits for a thread-pool thread now, in ms (set by the busy check when it runs).</summary>
    public double Latency { get; set; }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var t in tags)
        {
            if (t.Key == name) return t.Value as string ?? t.Value?.ToString() ?? "";
        }
        return "";
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var ms = value * 1000;
        switch ((Kind)state!)
        {
            case Kind.CacheDuration:
                Cache.Record(ms, _clock.NowMs());
                break;
            case Kind.JobDuration:
                Jobs.Record(ms, _clock.NowMs());
                break;
        }
    }

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch ((Kind)state!)
        {
            case Kind.DbErrors:
                Interlocked.Add(ref _pools.Get(Tag(tags, "db.pool")).Errors, value);
                break;
            case Kind.DbRetries:
                Interlocked.Add(ref _pools.Get(Tag(tags, "db.pool")).Retries, value);
                break;
            case Kind.DbCacheHits:
                Interlocked.Add(ref _dbCacheHits, value);
                break;
            case Kind.DbCacheMisses:
                Interlocked.Add(ref _dbCacheMisses, value);
                break;
            case Kind.CacheHits:
                Interlocked.Add(ref _cacheHits, value);
                break;
            case Kind.CacheMisses:
                Interlocked.Add(ref _cacheMisses, value);
                break;
            case Kind.Sent:
                Interlocked.Add(ref _sent, value);
                break;
            case Kind.Received:
                Interlocked.Add(ref _received, value);
                break;
            case Kind.Failed:
                Interlocked.Add(ref _failed, value);
                break;
            case Kind.JobRuns:
                if (Tag(tags, "job.status") is not ("" or "ok")) Interlocked.Add(ref _jobFailures, value);
                break;
            case Kind.Busy:
                Interlocked.Add(ref _busy, value);
                break;
        }
    }

    private void Sample()
    {
        var now = _clock.NowMs();
        Rss.Update(Environment.WorkingSet, now);
        Heap.Update(GC.GetGCMemoryInfo().HeapSizeBytes, now);
        LoadAvg.Update(LoadAverage.OneMinute(), now);
    }

    /// <summary>This process's figures now.</summary>
    public ProcessStats Snapshot()
    {
        var routes = _routes.Snapshot(r => r.Snapshot());
        var pools = _pools.Snapshot(p => p.Snapshot());
        var dbCacheHits = Interlocked.Read(ref _dbCacheHits);
        var dbCacheMisses = Interlocked.Read(ref _dbCacheMisses);
        var allPools = pools.Values.ToList();
        var jobs = Jobs.Snapshot();
        var pool = new PoolSnapshot(HistogramSnapshot.Merge([.. allPools.Select(p => p.Queue)]), allPools.Sum(p => p.Count), TimerSnapshot.Merge(allPools.Select(p => p.Response)),
            allPools.Sum(p => p.Errors), allPools.Sum(p => p.Retries), dbCacheHits, dbCacheMisses);
        return new ProcessStats
        {
            Processes = 1,
            Latency = Latency,
            Busy = Interlocked.Read(ref _busy),
            Api = new ApiSnapshot(ApiQueue.Snapshot(), ApiQueue.Current, TimerSnapshot.Merge(routes.Values),
                routes.Where(r => r.Key.Length > 0).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal)),
            Pool = pool,
            Pools = pools.Where(p => p.Key.Length > 0).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            Cache = new CacheSnapshot(Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _cacheMisses), Cache.Snapshot()),
            PubSub = new PubSubSnapshot(Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _failed)),
            Jobs = new JobsSnapshot(jobs.Meter.Count, Interlocked.Read(ref _jobFailures), jobs),
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

    /// <summary>Statistics by name (a route, a pool), found by the name's string instance first: the tag values come
    /// from a route pattern or a pool's settings, the same instance on every request, and a reference lookup costs
    /// less than hashing the string. Names seen as other instances fall back to the ordinal table; at most
    /// <see cref="MaxAliases"/> instances are remembered.</summary>
    private sealed class StatTable<T>(Func<StatClock, T> create, StatClock clock)
        where T : class
    {
        private readonly ConcurrentDictionary<string, T> _byName = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, T> _byInstance = new(ReferenceEqualityComparer.Instance);

        public T Get(string name)
        {
            if (_byInstance.TryGetValue(name, out var stat)) return stat;
            stat = _byName.GetOrAdd(name, static (_, s) => s.create(s.clock), (create, clock));
            if (_byInstance.Count < MaxAliases) _byInstance.TryAdd(name, stat);
            return stat;
        }

        public Dictionary<string, TSnapshot> Snapshot<TSnapshot>(Func<T, TSnapshot> snapshot) =>
            _byName.ToDictionary(e => e.Key, e => snapshot(e.Value), StringComparer.Ordinal);
    }
}
