namespace Backend.Metrics;

/// <summary>The reference's meter: things measured as events per interval. <c>count</c> (all events), <c>mean</c>
/// (the rate since the meter started), <c>currentRate</c> (the rate since the previous snapshot), and the 1, 5 and 15
/// minute rates (<see cref="Ewma"/>), all per second. Ticks happen lazily, when the meter is marked or read, for every
/// 5 s interval that passed: the events of the first one are the count's growth since the last tick, the others were
/// empty. So a mark is one interlocked add and a compare, and an idle meter costs nothing.</summary>
internal sealed class MeterStat
{
    private static readonly long TickMs = (long)Ewma.TickInterval.TotalMilliseconds;

    private readonly StatClock _clock;
    private readonly Ewma _m1 = new(1);
    private readonly Ewma _m5 = new(5);
    private readonly Ewma _m15 = new(15);
    private readonly long _start;
    private readonly Lock _lock = new();
    private long _count;
    private long _lastTick;
    private long _countAtTick;
    private long _lastSnapshotCount;
    private long _lastSnapshotTime;

    public MeterStat(TimeProvider time)
        : this(new StatClock(time))
    {
    }

    public MeterStat(StatClock clock)
    {
        _clock = clock;
        _start = clock.NowMs();
        _lastTick = _start;
        _lastSnapshotTime = _start;
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts <paramref name="n"/> events now.</summary>
    public void Mark(long n = 1) => Mark(n, _clock.NowMs());

    /// <summary>Counts <paramref name="n"/> events at <paramref name="now"/> (<see cref="StatClock.NowMs"/>, read once
    /// by a caller that records several statistics of one event).</summary>
    public void Mark(long n, long now)
    {
        if (now - Volatile.Read(ref _lastTick) >= TickMs) Tick(now);
        Interlocked.Add(ref _count, n);
    }

    private void Tick(long now)
    {
        lock (_lock)
        {
            var ticks = (now - _lastTick) / TickMs;
            if (ticks <= 0) return;
            var count = Interlocked.Read(ref _count);
            var events = count - _countAtTick;
            _countAtTick = count;
            _m1.Update(events);
            _m5.Update(events);
            _m15.Update(events);
            for (var i = 0; i < ticks; i++)
            {
                _m1.Tick();
                _m5.Tick();
                _m15.Tick();
            }
            Volatile.Write(ref _lastTick, _lastTick + ticks * TickMs);
        }
    }

    /// <summary>The reference's meter object; <c>currentRate</c> restarts from this call.</summary>
    public MeterSnapshot Snapshot()
    {
        var now = _clock.NowMs();
        if (now - Volatile.Read(ref _lastTick) >= TickMs) Tick(now);
        var count = Count;
        double current;
        lock (_lock)
        {
            var since = (now - _lastSnapshotTime) / 1000.0;
            current = since > 0 ? (count - _lastSnapshotCount) / since : 0;
            _lastSnapshotCount = count;
            _lastSnapshotTime = now;
        }
        var elapsed = (now - _start) / 1000.0;
        return new MeterSnapshot(elapsed > 0 ? count / elapsed : 0, count, current, _m1.Rate, _m5.Rate, _m15.Rate);
    }
}

/// <summary>A meter as <c>/system/stats/get</c> shows it (the reference's names).</summary>
internal sealed record MeterSnapshot(double Mean, long Count, double CurrentRate, double OneMinuteRate, double FiveMinuteRate, double FifteenMinuteRate)
{
    public static readonly MeterSnapshot Empty = new(0, 0, 0, 0, 0, 0);

    public Dictionary<string, object> ToJson() => new(StringComparer.Ordinal)
    {
        ["mean"] = Mean,
        ["count"] = Count,
        ["currentRate"] = CurrentRate,
        ["1MinuteRate"] = OneMinuteRate,
        ["5MinuteRate"] = FiveMinuteRate,
        ["15MinuteRate"] = FifteenMinuteRate,
    };

    /// <summary>Several meters as one (the processes of a machine, the routes of the API): counts and rates add up.</summary>
    public static MeterSnapshot Sum(IEnumerable<MeterSnapshot> meters) => meters.Aggregate(Empty, (a, b) =>
        new(a.Mean + b.Mean, a.Count + b.Count, a.CurrentRate + b.CurrentRate, a.OneMinuteRate + b.OneMinuteRate, a.FiveMinuteRate + b.FiveMinuteRate, a.FifteenMinuteRate + b.FifteenMinuteRate));
}
