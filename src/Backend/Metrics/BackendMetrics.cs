using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Backend.Metrics;

/// <summary>The platform's instruments on <see cref="System.Diagnostics.Metrics"/> (meter <c>Backend</c>), so
/// OpenTelemetry, Prometheus and <c>dotnet-counters monitor --counters Backend</c> see them; <see cref="StatsCollector"/>
/// turns the same measurements into the reference's <c>/system/stats/get</c>. Durations in seconds, as OpenTelemetry's
/// conventions have them. API requests are ASP.NET Core's own <c>http.server.request.duration</c> (meter
/// <c>Microsoft.AspNetCore.Hosting</c>, tagged with the route pattern), not a second copy. Created once per app from
/// <see cref="IMeterFactory"/> (DI).</summary>
internal sealed class BackendMetrics : IDisposable
{
    public const string MeterName = "Backend";

    private readonly Meter _meter;

    public BackendMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _meter = factory.Create(MeterName);
        DbDuration = _meter.CreateHistogram<double>("backend.db.duration", "s", "Time of one database request, from the facade's call to the driver's answer (tags: db.pool, db.operation)");
        DbActive = _meter.CreateUpDownCounter<long>("backend.db.active", "{request}", "Database requests in progress on a pool (tag: db.pool); /system/stats/get's pool queue is this count at each request's start");
        DbErrors = _meter.CreateCounter<long>("backend.db.errors", "{error}", "Database requests that failed (tags: db.pool, error.type)");
        DbRetries = _meter.CreateCounter<long>("backend.db.retries", "{retry}", "Reads tried again after the database answered busy or unreachable (tag: db.pool)");
        DbCacheHits = _meter.CreateCounter<long>("backend.db.cache.hits", "{hit}", "Rows read from the Db read cache (tag: db.table)");
        DbCacheMisses = _meter.CreateCounter<long>("backend.db.cache.misses", "{miss}", "Reads of cached tables that went to the database (tag: db.table)");
        CacheDuration = _meter.CreateHistogram<double>("backend.cache.duration", "s", "Time of one cache operation (tags: cache.kind, cache.operation)");
        CacheHits = _meter.CreateCounter<long>("backend.cache.hits", "{hit}", "Cache gets that found the key (tag: cache.kind)");
        CacheMisses = _meter.CreateCounter<long>("backend.cache.misses", "{miss}", "Cache gets that did not (tag: cache.kind)");
        PubSubSent = _meter.CreateCounter<long>("backend.pubsub.sent", "{message}", "Messages published (tag: pubsub.kind)");
        PubSubReceived = _meter.CreateCounter<long>("backend.pubsub.received", "{message}", "Messages delivered to a subscriber of this process (tag: pubsub.kind)");
        PubSubFailed = _meter.CreateCounter<long>("backend.pubsub.failed", "{message}", "Publishes that failed (tag: pubsub.kind)");
        JobRuns = _meter.CreateCounter<long>("backend.jobs.runs", "{run}", "Job runs finished (tags: job.name, job.status)");
        JobDuration = _meter.CreateHistogram<double>("backend.jobs.duration", "s", "Time of one job run (tag: job.name)");
        Busy = _meter.CreateCounter<long>("backend.api.busy", "{request}", "Requests refused with 503 because the server was too busy (-api-busy-latency)");
        PushSends = _meter.CreateCounter<long>("backend.push.sends", "{notification}", "Push sends finished, one per device and try (tags: push.service; push.outcome: sent, dead (the device was removed), retry (tried again later), failed, gave_up (no retry left))");
        PushDropped = _meter.CreateCounter<long>("backend.push.dropped", "{notification}", "Notifications dropped because the push queue was full (-push-queue-size)");
        PushDuration = _meter.CreateHistogram<double>("backend.push.duration", "s", "Time of one push send, from the request to the service's answer (tag: push.service)");
        _meter.CreateObservableGauge("backend.process.rss", () => Environment.WorkingSet, "By", "Resident memory of the process");
        _meter.CreateObservableGauge("backend.process.heap", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Size of the managed heap after the last collection");
        _meter.CreateObservableGauge("backend.process.threadpool.queue", () => ThreadPool.PendingWorkItemCount, "{item}", "Work items waiting for a thread-pool thread");
        _meter.CreateObservableGauge("backend.host.loadavg", () => LoadAverage.OneMinute(), "{process}", "The host's one-minute load average");
    }

    public Histogram<double> DbDuration { get; }

    public UpDownCounter<long> DbActive { get; }

    public Counter<long> DbErrors { get; }

    public Counter<long> DbRetries { get; }

    public Counter<long> DbCacheHits { get; }

    public Counter<long> DbCacheMisses { get; }

    public Histogram<double> CacheDuration { get; }

    public Counter<long> CacheHits { get; }

    public Counter<long> CacheMisses { get; }

    public Counter<long> PubSubSent { get; }

    public Counter<long> PubSubReceived { get; }

    public Counter<long> PubSubFailed { get; }

    public Counter<long> JobRuns { get; }

    public Histogram<double> JobDuration { get; }

    public Counter<long> Busy { get; }

    public Counter<long> PushSends { get; }

    public Counter<long> PushDropped { get; }

    public Histogram<double> PushDuration { get; }

    public void Dispose() => _meter.Dispose();
}

/// <summary>The host's load average from /proc/loadavg (0 where there is none).</summary>
internal static class LoadAverage
{
    public static double OneMinute()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            var end = text.IndexOf(' ', StringComparison.Ordinal);
            return double.TryParse(end > 0 ? text[..end] : text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
