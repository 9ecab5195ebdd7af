namespace Backend.Metrics;

/// <summary>The statistics' clock, in whole milliseconds. On the system clock it is <see cref="Environment.TickCount64"/>
/// (CLOCK_MONOTONIC_COARSE on Linux: a read of the vDSO's data page, a few ns, resolution one kernel tick of 1–4 ms),
/// not <see cref="TimeProvider.GetTimestamp"/> (27 ns per read on these machines, bench/MetricsRecording): the meters
/// tick every 5 s and the reservoir's priorities change by 1.5% a second, so a millisecond is more precision than either
/// needs, and a request records 4 measurements. Any other provider (FakeTimeProvider in tests) is read through its
/// timestamps.</summary>
internal sealed class StatClock(TimeProvider time)
{
    private readonly bool _system = ReferenceEquals(time, TimeProvider.System);

    public long NowMs() => _system ? Environment.TickCount64 : (long)((Int128)time.GetTimestamp() * 1000 / time.TimestampFrequency);
}
