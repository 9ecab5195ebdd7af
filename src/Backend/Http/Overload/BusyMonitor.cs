using Backend.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Http.Overload;

/// <summary>Whether the server is too busy to take new requests (<c>-api-busy-latency</c>): the .NET form of the
/// reference's event-loop lag (node's toobusy) is how long new work waits in the thread pool's queue before a thread
/// runs it, which is how long a request that just arrived waits to start. A dedicated thread (not a timer: timer
/// callbacks run on the thread pool, so they stall with it) queues a probe work item every <see cref="Interval"/>
/// and measures its wait; while a probe is still waiting, its age so far counts too, so a stalled pool is seen within
/// one interval, not when it recovers. <see cref="Busy"/> is that latency over the limit: requests then get a 503
/// (<see cref="BusyMiddleware"/>) until a probe runs within the limit again. The latency is also
/// <c>/system/stats/get</c>'s <c>latency</c> (<see cref="StatsCollector.Latency"/>) when statistics are kept.</summary>
internal sealed partial class BusyMonitor : IHostedService, IDisposable
{
    /// <summary>How often a probe is queued (and a waiting one's age looked at).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan ReportEvery = TimeSpan.FromMinutes(1);

    private readonly double _limitMs;
    private readonly TimeProvider _time;
    private readonly StatsCollector? _stats;
    private readonly ILogger _logger;
    private readonly Action<IThreadPoolWorkItem> _queue;
    private readonly Probe _probe;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private long _queuedAt; // timestamp of the probe waiting now; 0 when none
    private double _lastMs; // the wait of the last probe that ran
    private double _latencyMs;
    private volatile bool _busy;
    private long _refused;
    private long _reportedAt;
    private bool _reported;
    private int _disposed;

    /// <param name="limitMs">The limit; 0 turns the check off (no thread, never busy).</param>
    /// <param name="time">Timestamps.</param>
    /// <param name="stats">Where <c>latency</c> is shown; null with <c>-api-no-metrics</c>.</param>
    /// <param name="logger">One line when the server becomes busy, at most once a minute.</param>
    /// <param name="queue">How a probe is queued (tests run it by hand); the thread pool's global queue by default,
    /// behind the work already waiting there.</param>
    public BusyMonitor(int limitMs, TimeProvider time, StatsCollector? stats, ILogger<BusyMonitor> logger, Action<IThreadPoolWorkItem>? queue = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitMs);
        _limitMs = limitMs;
        _time = time;
        _stats = stats;
        _logger = logger;
        _queue = queue ?? (item => ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false));
        _probe = new Probe(this);
    }

    /// <summary>True while new requests are to be refused. One volatile read.</summary>
    public bool Busy => _busy;

    /// <summary>The check is on.</summary>
    public bool Enabled => _limitMs > 0;

    /// <summary>The wait of the last probe, or of the one waiting now when that is longer, in ms.</summary>
    public double LatencyMs => Volatile.Read(ref _latencyMs);

    /// <summary>Requests refused as too busy since the start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Counts a refused request (<see cref="BusyMiddleware"/>).</summary>
    public void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>One step of the probe thread: queues a probe when none is waiting, else takes the waiting one's age
    /// into account.</summary>
    internal void Tick()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_queuedAt != 0)
            {
                Publish(Math.Max(_lastMs, _time.GetElapsedTime(_queuedAt, now).TotalMilliseconds));
                return;
            }
            _queuedAt = now;
        }
        _queue(_probe);
    }

    /// <summary>The probe ran: its wait is the latency now.</summary>
    private void Ran()
    {
        lock (_gate)
        {
            if (_queuedAt == 0) return;
            _lastMs = _time.GetElapsedTime(_queuedAt).TotalMilliseconds;
            _queuedAt = 0;
            Publish(_lastMs);
        }
    }

    private void Publish(double ms)
    {
        Volatile.Write(ref _latencyMs, ms);
        _stats?.Latency = ms;
        var busy = Enabled && ms > _limitMs;
        if (busy == _busy) return;
        _busy = busy;
        if (!busy || !_logger.IsEnabled(LogLevel.Warning)) return;
        var now = _time.GetTimestamp();
        if (_reported && _time.GetElapsedTime(_reportedAt, now) < ReportEvery) return;
        _reported = true;
        _reportedAt = now;
        LogBusy(_logger, Math.Round(ms), (long)_limitMs, Refused);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled || _thread is not null) return Task.CompletedTask;
        _thread = new Thread(Loop) { IsBackground = true, Name = "busy probe" };
        _thread.Start();
        return Task.CompletedTask;
    }

    private void Loop()
    {
        var token = _stop.Token;
        try
        {
            do
            {
                Tick();
            }
            while (!token.WaitHandle.WaitOne(Interval));
        }
        catch (ObjectDisposedException)
        {
            // disposed while waiting: done
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped after its services were disposed (WebApplicationFactory's minimal-hosting host, whose
        // app disposes its container when Program's Run returns): then the probe has ended already.
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            await _stop.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        _thread?.Join(TimeSpan.FromSeconds(1));
    }

    /// <summary>Ends the probe thread too, for a host disposed without being stopped. Called twice by the container
    /// (the monitor is also the hosted service): the second call does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(1));
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "server busy: new work waited {LatencyMs} ms for a thread-pool thread (-api-busy-latency {LimitMs}); new requests are answered 503 until the wait is under the limit ({Refused} refused so far)")]
    private static partial void LogBusy(ILogger logger, double latencyMs, long limitMs, long refused);

    /// <summary>The work item whose wait is measured.</summary>
    private sealed class Probe(BusyMonitor monitor) : IThreadPoolWorkItem
    {
        public void Execute() => monitor.Ran();
    }
}
