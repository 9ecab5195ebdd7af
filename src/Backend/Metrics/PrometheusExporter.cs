using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace Backend.Metrics;

/// <summary>The instruments of some meters (<c>System.Diagnostics.Metrics</c>) as Prometheus metrics, in a registry of
/// this app's own (prometheus-net's <see cref="CollectorRegistry"/>, which writes the text format): a
/// <see cref="MeterListener"/> feeds prometheus-net counters, gauges and histograms, named as OpenTelemetry's Prometheus
/// exporter names them (<c>http.server.request.duration</c> in seconds is <c>http_server_request_duration_seconds</c>,
/// a counter gets <c>_total</c>, tags become labels with dots as underscores), so dashboards written for ASP.NET Core's
/// metrics work. Counters stay counters and every series is kept for the life of the process (the tags are bounded:
/// route patterns, pools, kinds, status codes).</summary>
/// <remarks>prometheus-net's own <c>MeterAdapter</c> is not used: in 8.2.1 it names series after the meter and the
/// instrument (<c>backend_backend_db_duration</c>, <c>microsoft_aspnetcore_hosting_http_server_request_duration</c>),
/// exports counters as gauges, forgets a series idle for 5 minutes (a counter starting again from 0), and publishes to
/// the global registry unless a metric factory is given besides the registry.</remarks>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>Meters exported always: the platform's, ASP.NET Core's requests, Kestrel's connections, the runtime's.</summary>
    public static readonly string[] DefaultMeters = [BackendMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];

    private static readonly double[] MillisecondBuckets = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    private static readonly string[] SmallNumbers = [.. Enumerable.Range(0, 1000).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    [ThreadStatic]
    private static string[]? t_labels;

    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _meters;
    private readonly object? _scope;
    private readonly MetricFactory _factory;

    /// <summary>Exports the instruments of <paramref name="meters"/> created by <paramref name="meterFactory"/> (this
    /// app's, so other hosts in the process are not mixed in) or without a factory (<c>System.Runtime</c>, an app's
    /// <c>new Meter(...)</c>).</summary>
    public PrometheusExporter(IEnumerable<string> meters, IMeterFactory? meterFactory)
    {
        _meters = new HashSet<string>(meters, StringComparer.Ordinal);
        _scope = meterFactory;
        Registry = PrometheusMetrics.NewCustomRegistry();
        _factory = PrometheusMetrics.WithCustomRegistry(Registry);
        // No exemplars: prometheus-net would otherwise format the current trace id into every measurement.
        _factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = (_, _) => Exemplar.None };
        var start = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        _factory.CreateGauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds").Set(start.ToUnixTimeMilliseconds() / 1000.0);
        _listener.InstrumentPublished = OnPublished;
        _listener.SetMeasurementEventCallback<double>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, state) => ((Export)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, state) => ((Export)state!).Record((double)v, tags));
        _listener.Start();
        // Observable instruments (gauges, the runtime's counters) are read when Prometheus scrapes.
        Registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    /// <summary>What the endpoint serves.</summary>
    public CollectorRegistry Registry { get; }

    private void OnPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meters.Contains(instrument.Meter.Name)) return;
        if (instrument.Meter.Scope is not null && !ReferenceEquals(instrument.Meter.Scope, _scope)) return;
        if (Kind(instrument) is not { } kind) return;
        listener.EnableMeasurementEvents(instrument, new Export(_factory, MetricName(instrument.Name, instrument.Unit, kind), Help(instrument), kind, Buckets(instrument)));
    }

    private static string Help(Instrument instrument) => string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;

    internal enum ExportKind
    {
        /// <summary>A Counter: each measurement is an increment.</summary>
        Counter,

        /// <summary>An ObservableCounter: each measurement is the total.</summary>
        ObservedCounter,

        /// <summary>An UpDownCounter: each measurement is an increment of a gauge.</summary>
        UpDown,

        /// <summary>A gauge, observable or not, or an ObservableUpDownCounter: each measurement is the value.</summary>
        Gauge,

        Histogram,
    }

    /// <summary>Observable counters of the runtime that go down as well (the number of thread-pool threads, the queue
    /// length): gauges, since a Prometheus counter never decreases.</summary>
    private static readonly HashSet<string> CountersThatAreGauges = new(StringComparer.Ordinal) { "dotnet.thread_pool.thread.count", "dotnet.thread_pool.queue.length" };

    internal static ExportKind? Kind(Instrument instrument)
    {
        if (!instrument.GetType().IsGenericType) return null;
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>)) return ExportKind.Counter;
        if (type == typeof(ObservableCounter<>)) return CountersThatAreGauges.Contains(instrument.Name) ? ExportKind.Gauge : ExportKind.ObservedCounter;
        if (type == typeof(UpDownCounter<>)) return ExportKind.UpDown;
        if (type == typeof(ObservableGauge<>) || type == typeof(ObservableUpDownCounter<>) || type == typeof(Gauge<>)) return ExportKind.Gauge;
        if (type == typeof(Histogram<>)) return ExportKind.Histogram;
        return null;
    }

    /// <summary>The Prometheus name of an instrument, as OpenTelemetry's Prometheus exporter makes it: the name with
    /// every character outside [a-zA-Z0-9_:] as '_', the unit as a suffix (s: seconds, ms: milliseconds, By: bytes, 1:
    /// ratio for a gauge, an annotation in braces: none, a/b: a_per_b), <c>_total</c> for a counter.</summary>
    internal static string MetricName(string name, string? unit, ExportKind kind)
    {
        var result = Sanitize(name);
        if (UnitSuffix(unit, kind) is { Length: > 0 } suffix && !result.EndsWith("_" + suffix, StringComparison.Ordinal)) result += "_" + suffix;
        if (kind is ExportKind.Counter or ExportKind.ObservedCounter && !result.EndsWith("_total", StringComparison.Ordinal)) result += "_total";
        return result;
    }

    private static string? UnitSuffix(string? unit, ExportKind kind)
    {
        if (string.IsNullOrEmpty(unit) || unit.StartsWith('{')) return null;
        if (unit == "1") return kind == ExportKind.Gauge ? "ratio" : null;
        var slash = unit.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0) return Sanitize(UnitWord(unit[..slash]) + "_per_" + PerWord(unit[(slash + 1)..]));
        return Sanitize(UnitWord(unit));

        static string UnitWord(string u) => u switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" => "microseconds",
            "ns" => "nanoseconds",
            "min" => "minutes",
            "h" => "hours",
            "d" => "days",
            "By" => "bytes",
            "KiBy" => "kibibytes",
            "MiBy" => "mebibytes",
            "GiBy" => "gibibytes",
            "%" => "percent",
            _ => u,
        };

        static string PerWord(string u) => u switch
        {
            "s" => "second",
            "m" or "min" => "minute",
            "h" => "hour",
            "d" => "day",
            _ => u,
        };
    }

    /// <summary>A metric or label name: characters outside [a-zA-Z0-9_:] as '_' (runs of them as one), not starting
    /// with a digit.</summary>
    internal static string Sanitize(string name)
    {
        var sb = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or ':';
            if (ok) sb.Append(c);
            else if (sb.Length == 0 || sb[^1] != '_') sb.Append('_');
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    /// <summary>A histogram's buckets: those the instrument advises (ASP.NET Core's request duration has them), else
    /// for milliseconds the same as prometheus-net's default for seconds (5 ms to 10 s), else that default.</summary>
    private static double[]? Buckets(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        if (advised is { Length: > 0 }) return advised;
        return instrument.Unit == "ms" ? MillisecondBuckets : null;
    }

    private static string LabelValue(object? value) => value switch
    {
        null => "",
        string s => s,
        int i when i is >= 0 and < 1000 => SmallNumbers[i],
        long l when l is >= 0 and < 1000 => SmallNumbers[l],
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>One instrument: a Prometheus metric per set of tag names it is measured with (ASP.NET Core adds
    /// <c>http.route</c> only when a route matched), found by comparing the tag names in the order given.</summary>
    private sealed class Export(MetricFactory factory, string name, string help, ExportKind kind, double[]? buckets)
    {
        private readonly Lock _lock = new();
        private Family[] _families = [];

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            try
            {
                var family = Find(tags) ?? Add(tags);
                var labels = t_labels is { } buffer && buffer.Length >= tags.Length ? buffer : t_labels = new string[Math.Max(8, tags.Length)];
                for (var i = 0; i < family.Order.Length; i++) labels[i] = LabelValue(tags[family.Order[i]].Value);
                family.Record(value, labels.AsSpan(0, family.Order.Length), kind);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // A measurement Prometheus cannot take (a negative counter increment, a label clash): dropped, never
                // thrown into the code that measured.
            }
        }

        private Family? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var family in Volatile.Read(ref _families))
            {
                if (family.Matches(tags)) return family;
            }
            return null;
        }

        private Family Add(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var keys = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++) keys[i] = tags[i].Key;
            lock (_lock)
            {
                foreach (var existing in _families)
                {
                    if (existing.Matches(tags)) return existing;
                }
                // Labels sorted by name, so the same set of tags in another order is the same series.
                var order = Enumerable.Range(0, keys.Length).OrderBy(i => Sanitize(keys[i]), StringComparer.Ordinal).ToArray();
                var labelNames = order.Select(i => Sanitize(keys[i])).ToArray();
                var family = new Family(keys, order, kind switch
                {
                    ExportKind.Counter or ExportKind.ObservedCounter => factory.CreateCounter(name, help, labelNames),
                    ExportKind.Histogram => factory.CreateHistogram(name, help, labelNames, buckets is null ? null : new HistogramConfiguration { Buckets = buckets }),
                    _ => (Collector)factory.CreateGauge(name, help, labelNames),
                });
                Volatile.Write(ref _families, [.. _families, family]);
                return family;
            }
        }
    }

    private sealed class Family(string[] keys, int[] order, Collector metric)
    {
        /// <summary>For each label, sorted by name, the index of its tag in the measurement.</summary>
        public int[] Order { get; } = order;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != keys.Length) return false;
            for (var i = 0; i < keys.Length; i++)
            {
                if (!string.Equals(tags[i].Key, keys[i], StringComparison.Ordinal)) return false;
            }
            return true;
        }

        public void Record(double value, ReadOnlySpan<string> labels, ExportKind kind)
        {
            var unlabelled = labels.IsEmpty;
            switch (kind)
            {
                case ExportKind.Counter when value > 0:
                    (unlabelled ? (ICounter)metric : ((Counter)metric).WithLabels(labels)).Inc(value);
                    break;
                case ExportKind.ObservedCounter:
                    (unlabelled ? (ICounter)metric : ((Counter)metric).WithLabels(labels)).IncTo(value);
                    break;
                case ExportKind.UpDown:
                    (unlabelled ? (IGauge)metric : ((Gauge)metric).WithLabels(labels)).Inc(value);
                    break;
                case ExportKind.Gauge:
                    (unlabelled ? (IGauge)metric : ((Gauge)metric).WithLabels(labels)).Set(value);
                    break;
                case ExportKind.Histogram:
                    (unlabelled ? (IHistogram)metric : ((Histogram)metric).WithLabels(labels)).Observe(value);
                    break;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
