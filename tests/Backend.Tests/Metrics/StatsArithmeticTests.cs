using System.Diagnostics.Metrics;
using Backend.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Metrics;

/// <summary>The reference's meter and histogram arithmetic (issue 13 point 2), checked against values computed by hand.</summary>
public sealed class StatsArithmeticTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void An_ewma_starts_at_the_first_interval_rate_and_decays_by_its_alpha()
    {
        var m1 = new Ewma(1);
        // alpha = 1 - e^(-5 s / 60 s)
        Assert.Equal(0.07995558537067671, m1.Alpha, Tolerance);
        m1.Update(10);
        m1.Tick();
        Assert.Equal(2.0, m1.Rate, Tolerance); // 10 events in 5 s
        m1.Tick();
        Assert.Equal(2.0 * (1 - 0.07995558537067671), m1.Rate, Tolerance); // 1.8400888292586466
        m1.Update(20);
        m1.Tick();
        // rate += alpha * (4 - rate)
        Assert.Equal(1.8400888292586466 + 0.07995558537067671 * (4 - 1.8400888292586466), m1.Rate, 1e-9);
        var m15 = new Ewma(15);
        Assert.Equal(1 - Math.Exp(-5.0 / 900), m15.Alpha, Tolerance);
    }

    [Fact]
    public void A_meter_counts_and_gives_its_mean_current_and_moving_rates()
    {
        var time = new FakeTimeProvider();
        var meter = new MeterStat(time);
        for (var i = 0; i < 10; i++) meter.Mark();
        time.Advance(TimeSpan.FromSeconds(5));
        var first = meter.Snapshot();
        Assert.Equal(10, first.Count);
        Assert.Equal(2.0, first.Mean, Tolerance);        // 10 in 5 s
        Assert.Equal(2.0, first.CurrentRate, Tolerance); // since the start
        Assert.Equal(2.0, first.OneMinuteRate, Tolerance); // the first tick
        Assert.Equal(2.0, first.FifteenMinuteRate, Tolerance);

        meter.Mark(30);
        time.Advance(TimeSpan.FromSeconds(10)); // two more intervals: 30 events, then none
        var second = meter.Snapshot();
        Assert.Equal(40, second.Count);
        Assert.Equal(40 / 15.0, second.Mean, Tolerance);
        Assert.Equal(3.0, second.CurrentRate, Tolerance); // 30 in the 10 s since the previous snapshot
        var a = 1 - Math.Exp(-5.0 / 60);
        var expected = 2.0 + a * (6.0 - 2.0); // the interval with 30 events: 6/s
        expected += a * (0 - expected);        // the empty one
        Assert.Equal(expected, second.OneMinuteRate, 1e-9);
    }

    [Fact]
    public void A_histogram_has_the_exact_moments_and_the_reference_percentiles()
    {
        var histogram = new HistogramStat(new FakeTimeProvider());
        foreach (var v in new double[] { 5, 1, 4, 2, 3 }) histogram.Update(v);
        var s = histogram.Snapshot();
        Assert.Equal(5, s.Count);
        Assert.Equal(1, s.Min);
        Assert.Equal(5, s.Max);
        Assert.Equal(15, s.Sum);
        Assert.Equal(3, s.Mean, Tolerance);
        Assert.Equal(2.5, s.Variance, Tolerance);  // sample variance: (4+1+0+1+4)/4
        Assert.Equal(Math.Sqrt(2.5), s.StdDev, Tolerance);
        // position p * (n + 1) in the sorted sample, interpolated
        Assert.Equal(3, s.Percentile(0.5), Tolerance);    // position 3
        Assert.Equal(4.5, s.Percentile(0.75), Tolerance); // position 4.5: between 4 and 5
        Assert.Equal(5, s.Percentile(0.95), Tolerance);   // position 5.7: the last
        Assert.Equal(1, s.Percentile(0.1), Tolerance);    // position 0.6: the first
        Assert.Equal(1.2, s.Percentile(1.2 / 6), Tolerance); // position 1.2: 1 + 0.2 * (2 - 1)
        var json = s.ToJson();
        Assert.Equal(["count", "max", "mean", "median", "min", "p75", "p95", "p99", "p999", "stddev", "sum", "variance"], json.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_empty_or_single_value_histogram_has_no_variance()
    {
        var histogram = new HistogramStat(new FakeTimeProvider());
        Assert.Equal(0, histogram.Snapshot().Variance);
        Assert.Equal(0, histogram.Snapshot().Percentile(0.5));
        histogram.Update(7);
        var s = histogram.Snapshot();
        Assert.Equal((1L, 7.0, 7.0, 0.0), (s.Count, s.Min, s.Max, s.Variance));
        Assert.Equal(7, s.Percentile(0.99));
    }

    [Fact]
    public void The_reservoir_keeps_the_highest_priorities_and_favours_recent_values()
    {
        var time = new FakeTimeProvider();
        var randoms = new Queue<double>([0.5, 0.25, 0.5, 1.0]);
        var reservoir = new DecayingReservoir(time, size: 2, alpha: 0.015, random: () => randoms.Dequeue());
        reservoir.Update(1); // priority 1 / 0.5 = 2
        reservoir.Update(2); // 1 / 0.25 = 4
        reservoir.Update(3); // 2: not above the lowest (2), dropped
        Assert.Equal([1.0, 2.0], reservoir.Values());
        time.Advance(TimeSpan.FromSeconds(100));
        reservoir.Update(4); // e^(0.015 * 100) / 1 = 4.48: replaces the lowest (value 1)
        Assert.Equal([2.0, 4.0], reservoir.Values());

        // Bias: 1000 old values then 1000 new ones 10 minutes later: the sample is mostly the new ones.
        var biased = new DecayingReservoir(time, size: 100);
        for (var i = 0; i < 1000; i++) biased.Update(0);
        time.Advance(TimeSpan.FromMinutes(10));
        for (var i = 0; i < 1000; i++) biased.Update(1);
        Assert.True(biased.Values().Count(v => v == 1) > 95, "recent values should dominate the sample");
    }

    [Fact]
    public void The_reservoir_rescales_after_an_hour_and_keeps_its_order()
    {
        var time = new FakeTimeProvider();
        var reservoir = new DecayingReservoir(time, size: 10);
        for (var i = 0; i < 10; i++) reservoir.Update(i);
        time.Advance(TimeSpan.FromHours(2));
        reservoir.Update(100); // after the rescale, a new value still outranks values two hours old
        Assert.Contains(100.0, reservoir.Values());
        Assert.Equal(10, reservoir.Values().Length);
    }

    [Fact]
    public void Merged_histograms_have_the_moments_of_all_values()
    {
        var time = new FakeTimeProvider();
        var a = new HistogramStat(time);
        var b = new HistogramStat(time);
        var all = new HistogramStat(time);
        foreach (var v in new double[] { 1, 2, 3, 10 }) { a.Update(v); all.Update(v); }
        foreach (var v in new double[] { 4, 6, 8 }) { b.Update(v); all.Update(v); }
        var merged = HistogramSnapshot.Merge([a.Snapshot(), b.Snapshot(), HistogramSnapshot.Empty]);
        var expected = all.Snapshot();
        Assert.Equal(expected.Count, merged.Count);
        Assert.Equal(expected.Min, merged.Min);
        Assert.Equal(expected.Max, merged.Max);
        Assert.Equal(expected.Sum, merged.Sum, Tolerance);
        Assert.Equal(expected.Mean, merged.Mean, 1e-9);
        Assert.Equal(expected.Variance, merged.Variance, 1e-9);
        Assert.Equal(7, merged.Sample.Length > 0 ? merged.Sample.Distinct().Count() : 0);
    }

    [Fact]
    public void Merged_meters_add_up()
    {
        var m = MeterSnapshot.Sum([new MeterSnapshot(1, 10, 2, 3, 4, 5), new MeterSnapshot(0.5, 5, 1, 1, 1, 1)]);
        Assert.Equal(new MeterSnapshot(1.5, 15, 3, 4, 5, 6), m);
        Assert.Equal(["15MinuteRate", "1MinuteRate", "5MinuteRate", "count", "currentRate", "mean"], m.ToJson().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_collector_keeps_each_route_and_pool_once_and_adds_up_the_totals_at_the_snapshot()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var time = new FakeTimeProvider();
        using var collector = new StatsCollector(time, factory);
        using var metrics = new BackendMetrics(factory);
        // Another app's instruments in the same process are not counted.
        using var stranger = new BackendMetrics(other.GetRequiredService<IMeterFactory>());

        // Requests, as RequestStatsMiddleware records them; "" is a request that matched no route (a 404).
        foreach (var (route, ms) in new[] { ("/account/get", 10.0), ("/account/get", 20.0), ("/account/get", 30.0), ("/ping", 40.0), ("", 100.0) })
        {
            collector.RequestStarted();
            collector.RequestEnded(route, ms);
        }
        // Database calls, as DbMeter records them.
        foreach (var (pool, ms) in new[] { ("sqlite", 1.0), ("sqlite", 3.0), ("pg", 8.0) })
        {
            var stats = collector.PoolStats(pool);
            stats.Queue.Add(1, collector.Now());
            stats.Queue.Add(-1, collector.Now());
            stats.Response.Record(ms, collector.Now());
        }
        metrics.DbErrors.Add(1, new KeyValuePair<string, object?>("db.pool", "pg"));
        metrics.DbCacheHits.Add(2, new KeyValuePair<string, object?>("db.table", "bk_auth"));
        stranger.DbErrors.Add(1, new KeyValuePair<string, object?>("db.pool", "sqlite"));
        stranger.DbCacheHits.Add(5, new KeyValuePair<string, object?>("db.table", "bk_auth"));
        time.Advance(TimeSpan.FromSeconds(5));
        var snapshot = collector.Snapshot();

        Assert.Equal(["/account/get", "/ping"], snapshot.Api.Routes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, snapshot.Api.Routes["/account/get"].Histogram.Count);
        Assert.Equal(20, snapshot.Api.Routes["/account/get"].Histogram.Mean, 1e-9);
        var api = snapshot.Api.Response;
        Assert.Equal(5, api.Meter.Count);                       // the routes and the request without one
        Assert.Equal(1.0, api.Meter.OneMinuteRate, Tolerance);   // 5 in the first 5 s interval
        Assert.Equal(200, api.Histogram.Sum, 1e-9);
        Assert.Equal(40, api.Histogram.Mean, 1e-9);
        Assert.Equal(10, api.Histogram.Min);
        Assert.Equal(100, api.Histogram.Max);
        // sample variance of 10, 20, 30, 40, 100: (900 + 400 + 100 + 0 + 3600) / 4
        Assert.Equal(1250, api.Histogram.Variance, 1e-6);
        Assert.Equal(5, snapshot.Api.Queue.Count); // one in progress as each started
        Assert.Equal(0, snapshot.Api.Count);

        Assert.Equal(["pg", "sqlite"], snapshot.Pools.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, snapshot.Pools["sqlite"].Response.Histogram.Count);
        Assert.Equal(2, snapshot.Pools["sqlite"].Response.Histogram.Mean, 1e-9);
        Assert.Equal(3, snapshot.Pool.Response.Meter.Count);
        Assert.Equal(4, snapshot.Pool.Response.Histogram.Mean, 1e-9);
        Assert.Equal(3, snapshot.Pool.Queue.Count);  // each call started with 1 in progress on its pool
        Assert.Equal(1, snapshot.Pool.Queue.Max);
        Assert.Equal(0, snapshot.Pool.Count);
        Assert.Equal(1, snapshot.Pool.Errors);
        Assert.Equal(1, snapshot.Pools["pg"].Errors);
        Assert.Equal(0, snapshot.Pools["sqlite"].Errors);
        Assert.Equal(2, snapshot.Pool.CacheHits);
    }
}
