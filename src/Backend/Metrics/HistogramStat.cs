namespace Backend.Metrics;

/// <summary>The reference's histogram: <c>min</c>, <c>max</c>, <c>sum</c>, <c>count</c>, <c>mean</c>, <c>variance</c>
/// (the sample variance, Welford's method) and <c>stddev</c> of every value since the start, and the percentiles
/// <c>median</c>, <c>p75</c>, <c>p95</c>, <c>p99</c>, <c>p999</c> of a <see cref="DecayingReservoir"/> (the last five
/// minutes, mostly).</summary>
internal sealed class HistogramStat(DecayingReservoir reservoir)
{
    private long _count;
    private double _min = double.NaN;
    private double _max = double.NaN;
    private double _sum;
    private double _mean; // Welford
    private double _m2;

    public HistogramStat(TimeProvider time)
        : this(new DecayingReservoir(time))
    {
    }

    public HistogramStat(StatClock clock)
        : this(new DecayingReservoir(clock))
    {
    }

    public long Count
    {
        get
        {
            lock (reservoir.Sync) return _count;
        }
    }

    public void Update(double value) => Update(value, reservoir.Clock.NowMs());

    /// <summary>Adds <paramref name="value"/> at <paramref name="now"/> (<see cref="StatClock.NowMs"/>): one lock for
    /// the moments and the sample.</summary>
    public void Update(double value, long now)
    {
        lock (reservoir.Sync)
        {
            _count++;
            _sum += value;
            if (_count == 1 || value < _min) _min = value;
            if (_count == 1 || value > _max) _max = value;
            var delta = value - _mean;
            _mean += delta / _count;
            _m2 += delta * (value - _mean);
            reservoir.UpdateLocked(value, now);
        }
    }

    public HistogramSnapshot Snapshot()
    {
        long count;
        double min, max, sum, mean, m2;
        lock (reservoir.Sync) (count, min, max, sum, mean, m2) = (_count, _min, _max, _sum, _mean, _m2);
        var sample = reservoir.Values();
        return new HistogramSnapshot(count, count == 0 ? 0 : min, count == 0 ? 0 : max, sum, count == 0 ? 0 : mean, count > 1 ? m2 / (count - 1) : 0, sample);
    }
}

/// <summary>A histogram as <c>/system/stats/get</c> shows it, with the sample its percentiles come from.</summary>
internal sealed record HistogramSnapshot(long Count, double Min, double Max, double Sum, double Mean, double Variance, double[] Sample)
{
    public static readonly HistogramSnapshot Empty = new(0, 0, 0, 0, 0, 0, []);

    public double StdDev => Math.Sqrt(Variance);

    /// <summary>The percentile <paramref name="p"/> (0..1) of the sample as the reference computed it: position
    /// <c>p * (n + 1)</c> in the sorted sample, interpolated between its neighbours, clamped to the first and last.</summary>
    public double Percentile(double p) => Percentile(Sample, p);

    public static double Percentile(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0) return 0;
        var pos = p * (sorted.Length + 1);
        if (pos < 1) return sorted[0];
        if (pos >= sorted.Length) return sorted[^1];
        var lower = sorted[(int)pos - 1];
        var upper = sorted[(int)pos];
        return lower + (pos - Math.Floor(pos)) * (upper - lower);
    }

    public Dictionary<string, object> ToJson() => new(StringComparer.Ordinal)
    {
        ["min"] = Min,
        ["max"] = Max,
        ["sum"] = Sum,
        ["variance"] = Variance,
        ["mean"] = Mean,
        ["stddev"] = StdDev,
        ["count"] = Count,
        ["median"] = Percentile(0.5),
        ["p75"] = Percentile(0.75),
        ["p95"] = Percentile(0.95),
        ["p99"] = Percentile(0.99),
        ["p999"] = Percentile(0.999),
    };

    /// <summary>The histograms of several processes as one: exact count, min, max, sum, mean and variance (the
    /// parallel form of Welford's method); the percentiles from the union of the samples, each value weighted by how
    /// many values its sample stands for (its process's count over its sample size).</summary>
    public static HistogramSnapshot Merge(IReadOnlyList<HistogramSnapshot> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var nonEmpty = parts.Where(p => p.Count > 0).ToList();
        if (nonEmpty.Count == 0) return Empty;
        if (nonEmpty.Count == 1) return nonEmpty[0];
        long count = 0;
        double mean = 0, m2 = 0, sum = 0, min = double.MaxValue, max = double.MinValue;
        foreach (var p in nonEmpty)
        {
            var pm2 = p.Variance * (p.Count - 1);
            var total = count + p.Count;
            var delta = p.Mean - mean;
            m2 += pm2 + delta * delta * count * p.Count / total;
            mean += delta * p.Count / total;
            count = total;
            sum += p.Sum;
            min = Math.Min(min, p.Min);
            max = Math.Max(max, p.Max);
        }
        return new HistogramSnapshot(count, min, max, sum, mean, count > 1 ? m2 / (count - 1) : 0, WeightedSample(nonEmpty));
    }

    /// <summary>A merged sample of at most <see cref="DecayingReservoir.DefaultSize"/> values in which each part has
    /// its share of the total count.</summary>
    private static double[] WeightedSample(List<HistogramSnapshot> parts)
    {
        var total = parts.Sum(p => (double)p.Count);
        var merged = new List<double>(DecayingReservoir.DefaultSize);
        foreach (var p in parts)
        {
            if (p.Sample.Length == 0) continue;
            var share = (int)Math.Round(DecayingReservoir.DefaultSize * p.Count / total);
            share = Math.Clamp(share, 1, DecayingReservoir.DefaultSize);
            // Evenly spaced picks from the sorted sample keep its distribution.
            for (var i = 0; i < share; i++) merged.Add(p.Sample[(int)((i + 0.5) * p.Sample.Length / share)]);
        }
        merged.Sort();
        return [.. merged];
    }
}
