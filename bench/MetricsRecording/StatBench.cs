using BenchmarkDotNet.Attributes;
using Backend.Metrics;

namespace Backend.Bench.MetricsRecording;

/// <summary>The statistics' building blocks one at a time, no listener: what StatsCollector's callback does per
/// measurement. The histograms and the reservoir are filled first (1028 values), as they are on a server after its
/// first thousand requests.</summary>
public class StatBench
{
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly StatClock _clock = new(TimeProvider.System);
    private MeterStat _meter = null!;
    private DecayingReservoir _reservoir = null!;
    private HistogramStat _histogram = null!;
    private TimerStat _timer = null!;
    private QueueStat _queue = null!;
    private double _value;

    [GlobalSetup]
    public void Setup()
    {
        _meter = new MeterStat(_time);
        _reservoir = new DecayingReservoir(_time);
        _histogram = new HistogramStat(_time);
        _timer = new TimerStat(_time);
        _queue = new QueueStat(_clock);
        for (var i = 0; i < 2 * DecayingReservoir.DefaultSize; i++)
        {
            _reservoir.Update(i);
            _histogram.Update(i);
            _timer.Record(i);
            _queue.Add(1, _clock.NowMs());
            _queue.Add(-1, _clock.NowMs());
        }
    }

    /// <summary>The precise clock (TimeProvider.System, Stopwatch): what the statistics read before StatClock.</summary>
    [Benchmark]
    public long Timestamp() => _time.GetTimestamp();

    /// <summary>The statistics' clock (StatClock: Environment.TickCount64), read once per measurement.</summary>
    [Benchmark]
    public long CoarseClock() => _clock.NowMs();

    /// <summary>MeterStat.Mark: a clock read, a tick check, one interlocked add.</summary>
    [Benchmark]
    public void MeterMark() => _meter.Mark();

    /// <summary>DecayingReservoir.Update: a clock read, a lock, exp(), a random draw, and a heap replacement when the
    /// new priority beats the lowest kept one.</summary>
    [Benchmark]
    public void ReservoirUpdate() => _reservoir.Update(_value += 0.001);

    /// <summary>HistogramStat.Update: one lock for its moments (count, sum, min, max, Welford) and the reservoir.</summary>
    [Benchmark]
    public void HistogramUpdate() => _histogram.Update(_value += 0.001);

    /// <summary>TimerStat.Record: MeterMark + HistogramUpdate on one clock read (per API request: once, the route's).</summary>
    [Benchmark]
    public void TimerRecord() => _timer.Record(_value += 0.001);

    /// <summary>QueueStat.Add(+1) then Add(-1): the in-progress count, and a histogram update on the +1.</summary>
    [Benchmark]
    public void QueueStartEnd()
    {
        _queue.Add(1, _clock.NowMs());
        _queue.Add(-1, _clock.NowMs());
    }
}
