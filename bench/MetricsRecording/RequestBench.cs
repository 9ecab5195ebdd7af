using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Backend.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Bench.MetricsRecording;

/// <summary>Who listens: nobody (<c>-api-no-metrics</c>), a listener whose callbacks do nothing (what
/// System.Diagnostics.Metrics itself costs: the enabled checks, the tag lists, the dispatch), or StatsCollector
/// (the default).</summary>
public enum ListenMode
{
    Off,
    NoopListener,
    Stats,
}

/// <summary>A stand-in for Backend.Data.DbOperation (the key of DbMeter's tag cache).</summary>
public enum DbOp
{
    Get,
    Select,
}

/// <summary>The measurements one API request makes, recorded the way the server records them: the platform's
/// instruments (BackendMetrics, created from an IMeterFactory as in the app) with the tags DbMeter gives them, and
/// instruments named as ASP.NET Core's (meter Microsoft.AspNetCore.Hosting: http.server.active_requests and
/// http.server.request.duration) with the tags ASP.NET Core gives them, guarded by <c>Enabled</c> as both do.
/// What ASP.NET Core does besides the instrument calls when its metrics are on (a feature for the tags, the route
/// lookup) is not here.</summary>
public class RequestBench
{
    private static readonly object Status200 = 200;
    private ServiceProvider _services = null!;
    private BackendMetrics _metrics = null!;
    private UpDownCounter<long> _active = null!;
    private Histogram<double> _duration = null!;
    private Meter _hosting = null!;
    private MeterListener? _noop;
    private StatsCollector? _stats;
    private readonly KeyValuePair<string, object?> _table = new("db.table", "bk_auth");

    [Params(ListenMode.Off, ListenMode.NoopListener, ListenMode.Stats)]
    public ListenMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new BackendMetrics(factory);
        _hosting = factory.Create("Microsoft.AspNetCore.Hosting");
        _active = _hosting.CreateUpDownCounter<long>("http.server.active_requests", "{request}");
        _duration = _hosting.CreateHistogram<double>("http.server.request.duration", "s");
        switch (Mode)
        {
            case ListenMode.NoopListener:
                _noop = new MeterListener
                {
                    InstrumentPublished = (instrument, listener) =>
                    {
                        if (instrument.Meter.Name == BackendMetrics.MeterName
                            || (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name is "http.server.request.duration" or "http.server.active_requests"))
                        {
                            listener.EnableMeasurementEvents(instrument);
                        }
                    },
                };
                _noop.SetMeasurementEventCallback<double>((_, _, _, _) => { });
                _noop.SetMeasurementEventCallback<long>((_, _, _, _) => { });
                _noop.Start();
                break;
            case ListenMode.Stats:
                _stats = new StatsCollector(TimeProvider.System);
                break;
        }
        // Full reservoirs and the route's and pool's entries, as on a server that has served a while.
        for (var i = 0; i < 2 * DecayingReservoir.DefaultSize; i++)
        {
            AccountGet();
            Ping();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stats?.Dispose();
        _noop?.Dispose();
        _metrics.Dispose();
        _hosting.Dispose();
        _services.Dispose();
    }

    // ASP.NET Core (HostingApplicationDiagnostics, HostingMetrics): a start timestamp and active_requests +1 when a
    // request begins; at its end active_requests -1 and the duration, tagged url.scheme, http.request.method,
    // network.protocol.version, http.response.status_code and http.route.
    // With statistics on (StatsCollector), RequestStatsMiddleware records instead, straight into the collector, and
    // ASP.NET Core's instruments stay disabled unless another listener (OpenTelemetry, -prometheus-port) enables them.
    private long HttpStart()
    {
        if (_stats is not null)
        {
            _stats.RequestStarted();
            return Stopwatch.GetTimestamp();
        }
        if (!_active.Enabled && !_duration.Enabled) return 0;
        if (_active.Enabled) _active.Add(1, new KeyValuePair<string, object?>("url.scheme", "http"), new KeyValuePair<string, object?>("http.request.method", "GET"));
        return Stopwatch.GetTimestamp();
    }

    private void HttpEnd(long started, string route)
    {
        if (_stats is not null)
        {
            _stats.RequestEnded(route, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }
        if (started == 0) return;
        var tags = new TagList { { "url.scheme", "http" }, { "http.request.method", "GET" } };
        if (_active.Enabled) _active.Add(-1, tags);
        if (_duration.Enabled)
        {
            tags.Add("network.protocol.version", "1.1");
            tags.Add("http.response.status_code", Status200);
            tags.Add("http.route", route);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    // DbMeter.Start / End as src/Backend/Metrics/DbMeter.cs does them (a driver call that completed synchronously),
    // with its tags made once per driver and found by the driver's reference.
    private sealed class DriverTags(string pool, PoolStat? stats)
    {
        public readonly KeyValuePair<string, object?> Pool = new("db.pool", pool);

        public readonly PoolStat? Stats = stats;

        public readonly TagList[] ByOperation = [.. Enum.GetValues<DbOp>().Select(op => new TagList { { "db.pool", pool }, { "db.operation", op.ToString() } })];
    }

    private readonly object _driver = new();
    private readonly ConcurrentDictionary<object, DriverTags> _drivers = new(ReferenceEqualityComparer.Instance);

    private DriverTags TagsOf(object driver) => _drivers.TryGetValue(driver, out var tags) ? tags : _drivers.GetOrAdd(driver, static (_, s) => new DriverTags("sqlite", s?.PoolStats("sqlite")), _stats);

    private void DbCall()
    {
        if (_stats is null && !_metrics.DbDuration.Enabled && !_metrics.DbActive.Enabled) return;
        var start = TagsOf(_driver);
        start.Stats?.Queue.Add(1, _stats!.Now());
        if (_metrics.DbActive.Enabled) _metrics.DbActive.Add(1, start.Pool);
        var started = Stopwatch.GetTimestamp();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var tags = TagsOf(_driver);
        if (tags.Stats is { } pool)
        {
            var now = _stats!.Now();
            pool.Queue.Add(-1, now);
            pool.Response.Record(seconds * 1000, now);
        }
        if (_metrics.DbActive.Enabled) _metrics.DbActive.Add(-1, tags.Pool);
        if (_metrics.DbDuration.Enabled) _metrics.DbDuration.Record(seconds, in tags.ByOperation[(int)DbOp.Get]);
    }

    /// <summary>http.server.active_requests +1 and -1 (with statistics: RequestStatsMiddleware's start, StatsCollector.RequestStarted).</summary>
    [Benchmark]
    public void HttpActive()
    {
        if (_stats is not null)
        {
            _stats.RequestStarted();
            return;
        }
        if (_active.Enabled) _active.Add(1, new KeyValuePair<string, object?>("url.scheme", "http"), new KeyValuePair<string, object?>("http.request.method", "GET"));
        if (_active.Enabled) _active.Add(-1, new KeyValuePair<string, object?>("url.scheme", "http"), new KeyValuePair<string, object?>("http.request.method", "GET"));
    }

    /// <summary>http.server.request.duration with its 5 tags (with statistics: RequestStatsMiddleware's end, StatsCollector.RequestEnded).</summary>
    [Benchmark]
    public void HttpDuration()
    {
        if (_stats is not null)
        {
            _stats.RequestEnded("/account/get", 0.1);
            return;
        }
        if (_duration.Enabled)
        {
            _duration.Record(0.0001, new TagList { { "url.scheme", "http" }, { "http.request.method", "GET" }, { "network.protocol.version", "1.1" },
                { "http.response.status_code", Status200 }, { "http.route", "/account/get" } });
        }
    }

    /// <summary>One database call: backend.db.active +1 and -1, backend.db.duration.</summary>
    [Benchmark]
    public void Db() => DbCall();

    /// <summary>backend.db.cache.hits +1 (bk_auth read from the process's copy).</summary>
    [Benchmark]
    public void DbCacheHit() => _metrics.DbCacheHits.Add(1, _table);

    /// <summary>Everything one signed /account/get records: the HTTP start and end, a Db cache hit (bk_auth), one
    /// database call (bk_account from SQLite).</summary>
    [Benchmark]
    public void AccountGet()
    {
        var started = HttpStart();
        _metrics.DbCacheHits.Add(1, _table);
        DbCall();
        HttpEnd(started, "/account/get");
    }

    /// <summary>Everything one /ping records: the HTTP start and end.</summary>
    [Benchmark]
    public void Ping() => HttpEnd(HttpStart(), "/ping");
}
