namespace Backend.Metrics;

/// <summary>The reference's meter: things measured as events per interval. <c>count</c> (all events), <c>mean</c>
/// (the rate since the meter started), <c>currentRate</c> (the rate since the previous snapshot), and the 1, 5 and 15
/// minute rates (<see cref="Ewma"/>), all per second. Ticks happen lazily, when the meter is marked or read, for every
/// 5 s interval that passed, so an idle meter costs nothing.</summary>
internal sealed class MeterStat
{
    private readonly TimeProvider _time;
    private readonly Ewma _m1 = new(1);
    private readonly Ewma _m5 = new(5);
    private readonly Ewma _m15 = new(15);
    private readonly long _start;
    private readonly Lock _lock = new();
    private long _count;
    private long _lastTick;
    private long _lastSnapshotCount;
    private long _lastSnapshotTime;

    public MeterStat(TimeProvider time)
    {
        _time = time;
        _start = time.GetTimestamp();
        _lastTick = _start;
        _lastSnapshotTime = _start;
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts <paramref name="n"/> events now.</summary>
    public void Mark(long n = 1)
    {
        TickIfDue();
        Interlocked.Add(ref _count, n);
        _m1.Update(n);
        _m5.Update(n);
        _m15.Update(n);
    }

    private void TickIfDue()
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(Volatile.Read(ref _lastTick), now) < Ewma.TickInterval) return;
        lock (_lock)
        {
            var ticks = (long)(_time.GetElapsedTime(_lastTick, now) / Ewma.TickInterval);
            if (ticks <= 0) return;
            _lastTick += (long)(ticks * Ewma.TickInterval.TotalSeconds * _time.TimestampFrequency);
            // The events counted so far belong to the first interval; the others were empty.
            for (var i = 0; i < ticks; i++)
            {
                _m1.Tick();
                _m5.Tick();
                _m15.Tick();
            }
        }
    }

    /// <summary>The reference's meter object; <c>currentRate</c> restarts from this call.</summary>
    public MeterSnapshot Snapshot()
    {
        TickIfDue();
        var now = _time.GetTimestamp();
        var count = Count;
        double current;
        lock (_lock)
        {
            var since = _time.GetElapsedTime(_lastSnapshotTime, now).TotalSeconds;
            current = since > 0 ? (count - _lastSnapshotCount) / since : 0;
            _lastSnapshotCount = count;
            _lastSnapshotTime = now;
        }
        var elapsed = _time.GetElapsedTime(_start, now).TotalSeconds;
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

    /// <summary>The meters of several processes as one: counts and rates add up.</summary>
    public static MeterSnapshot Sum(IEnumerable<MeterSnapshot> meters) => meters.Aggregate(Empty, (a, b) =>
        new(a.Mean + b.Mean, a.Count + b.Count, a.CurrentRate + b.CurrentRate, a.OneMinuteRate + b.OneMinuteRate, a.FiveMinuteRate + b.FiveMinuteRate, a.FifteenMinuteRate + b.FifteenMinuteRate));
}
