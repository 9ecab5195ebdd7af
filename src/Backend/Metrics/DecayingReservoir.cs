namespace Backend.Metrics;

/// <summary>The reference's exponentially decaying sample (Cormode et al., forward decay; Coda Hale's Metrics): at most
/// <see cref="Size"/> values (1028) kept with priority <c>exp(alpha * age) / u</c>, <c>u</c> uniform in (0, 1], so a new
/// value is likelier to stay than an old one; with alpha 0.015 per second the sample is biased to the last five minutes.
/// The landmark moves every hour and the priorities are rescaled with it, so they never overflow. Once the sample is
/// full, a value whose priority is not above the lowest kept is refused without touching the heap (at thousands of
/// values a second, nearly all of them).</summary>
internal sealed class DecayingReservoir
{
    public const int DefaultSize = 1028;
    public const double DefaultAlpha = 0.015;
    private const long RescaleMs = 3_600_000;

    private readonly double _alphaPerMs;
    private readonly Func<double> _random;
    private readonly PriorityQueue<double, double> _values; // value by priority, lowest first
    private long _landmark;
    private long _nextRescale;
    private double _lowest; // the lowest priority kept, once full

    /// <summary>A reservoir; <paramref name="random"/> (for tests) returns values in (0, 1].</summary>
    public DecayingReservoir(TimeProvider time, int size = DefaultSize, double alpha = DefaultAlpha, Func<double>? random = null)
        : this(new StatClock(time), size, alpha, random)
    {
    }

    public DecayingReservoir(StatClock clock, int size = DefaultSize, double alpha = DefaultAlpha, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Clock = clock;
        Size = size;
        _alphaPerMs = alpha / 1000;
        _random = random ?? NextUniform;
        _values = new PriorityQueue<double, double>(); // grown on use: an idle statistic (a route, a core's copy) stays small
        _landmark = clock.NowMs();
        _nextRescale = _landmark + RescaleMs;
    }

    public StatClock Clock { get; }

    public int Size { get; }

    /// <summary>The lock of <see cref="UpdateLocked"/>; <see cref="HistogramStat"/> takes it once for its own figures
    /// and the sample.</summary>
    public Lock Sync { get; } = new();

    private static double NextUniform() => 1 - Random.Shared.NextDouble();

    public void Update(double value)
    {
        var now = Clock.NowMs();
        lock (Sync) UpdateLocked(value, now);
    }

    /// <summary>Offers <paramref name="value"/> at <paramref name="now"/>; the caller holds <see cref="Sync"/>.</summary>
    public void UpdateLocked(double value, long now)
    {
        if (now >= _nextRescale) Rescale(now);
        var priority = Math.Exp(_alphaPerMs * (now - _landmark)) / _random();
        if (_values.Count < Size)
        {
            if (_values.Count == 16) _values.EnsureCapacity(Size); // in use: the full size at once, not doubled past it
            _values.Enqueue(value, priority);
            if (_values.Count == Size) _values.TryPeek(out _, out _lowest);
        }
        else if (priority > _lowest)
        {
            _values.DequeueEnqueue(value, priority);
            _values.TryPeek(out _, out _lowest);
        }
    }

    private void Rescale(long now)
    {
        var factor = Math.Exp(-_alphaPerMs * (now - _landmark));
        var items = _values.UnorderedItems.Select(i => (i.Element, i.Priority * factor)).ToArray();
        _values.Clear();
        foreach (var (value, priority) in items) _values.Enqueue(value, priority);
        if (_values.Count == Size) _values.TryPeek(out _, out _lowest);
        _landmark = now;
        _nextRescale = now + RescaleMs;
    }

    /// <summary>The values in the sample now, sorted.</summary>
    public double[] Values()
    {
        double[] values;
        lock (Sync) values = [.. _values.UnorderedItems.Select(i => i.Element)];
        Array.Sort(values);
        return values;
    }
}
