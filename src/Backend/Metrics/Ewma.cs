namespace Backend.Metrics;

/// <summary>An exponentially weighted moving average of a rate, as the reference's metrics (and Coda Hale's Metrics)
/// compute it: events are counted as they happen, and every <see cref="TickInterval"/> the average moves toward the
/// rate of that interval by <c>alpha = 1 - exp(-interval / window)</c>. The first tick sets it to that rate.</summary>
internal sealed class Ewma
{
    /// <summary>The tick interval: 5 s.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(5);

    private readonly double _alpha;
    private long _uncounted;
    private double _rate; // events per second
    private bool _initialized;

    /// <summary>An average over a window of <paramref name="minutes"/> minutes.</summary>
    public Ewma(double minutes) => _alpha = 1 - Math.Exp(-TickInterval.TotalSeconds / 60.0 / minutes);

    /// <summary>The weight one tick gives the newest interval.</summary>
    public double Alpha => _alpha;

    /// <summary>Counts <paramref name="n"/> events.</summary>
    public void Update(long n) => Interlocked.Add(ref _uncounted, n);

    /// <summary>Closes one interval (the caller ticks once per <see cref="TickInterval"/>, under its lock).</summary>
    public void Tick()
    {
        var count = Interlocked.Exchange(ref _uncounted, 0);
        var instant = count / TickInterval.TotalSeconds;
        if (_initialized)
        {
            _rate += _alpha * (instant - _rate);
        }
        else
        {
            _rate = instant;
            _initialized = true;
        }
    }

    /// <summary>Events per second.</summary>
    public double Rate => _rate;
}
