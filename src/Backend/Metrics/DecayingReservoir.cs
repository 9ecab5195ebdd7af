namespace Backend.Metrics;

/// <summary>The reference's exponentially decaying sample (Cormode et al., forward decay; Coda Hale's Metrics): at most
/// <see cref="Size"/> values (1028) kept with priority <c>exp(alpha * age) / u</c>, <c>u</c> uniform in (0, 1], so a new
/// value is likelier to stay than an old one; with alpha 0.015 per second the sample is biased to the last five minutes.
/// The landmark moves every hour and the priorities are rescaled with it, so they never overflow.</summary>
internal sealed class DecayingReservoir
{
    public const int DefaultSize = 1028;
    public const double DefaultAlpha = 0.015;
    private static readonly TimeSpan RescaleInterval = TimeSpan.FromHours(1);

    private readonly TimeProvider _time;
    private readonly double _alpha;
    private readonly Func<double> _random;
    private readonly PriorityQueue<double, double> _values; // value by priority, lowest first
    private readonly Lock _lock = new();
    private long _landmark;
    private long _nextRescale;

    /// <summary>A reservoir; <paramref name="random"/> (for tests) returns values in (0, 1].</summary>
    public DecayingReservoir(TimeProvider time, int size = DefaultSize, double alpha = DefaultAlpha, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _time = time;
        Size = size;
        _alpha = alpha;
        _random = random ?? (() => 1 - Random.Shared.NextDouble());
        _values = new PriorityQueue<double, double>(size);
        _landmark = time.GetTimestamp();
        _nextRescale = _landmark + (long)(RescaleInterval.TotalSeconds * time.TimestampFrequency);
    }

    public int Size { get; }

    public void Update(double value)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (now >= _nextRescale) Rescale(now);
            var priority = Math.Exp(_alpha * _time.GetElapsedTime(_landmark, now).TotalSeconds) / _random();
            if (_values.Count < Size) _values.Enqueue(value, priority);
            else if (_values.TryPeek(out _, out var lowest) && priority > lowest) _values.DequeueEnqueue(value, priority);
        }
    }

    private void Rescale(long now)
    {
        var factor = Math.Exp(-_alpha * _time.GetElapsedTime(_landmark, now).TotalSeconds);
        var items = _values.UnorderedItems.Select(i => (i.Element, i.Priority * factor)).ToArray();
        _values.Clear();
        foreach (var (value, priority) in items) _values.Enqueue(value, priority);
        _landmark = now;
        _nextRescale = now + (long)(RescaleInterval.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>The values in the sample now, sorted.</summary>
    public double[] Values()
    {
        double[] values;
        lock (_lock) values = [.. _values.UnorderedItems.Select(i => i.Element)];
        Array.Sort(values);
        return values;
    }
}
