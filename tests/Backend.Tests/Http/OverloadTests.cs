using System.Net;
using System.Text.Json.Nodes;
using Backend.Configuration;
using Backend.Hosting;
using Backend.Http;
using Backend.Http.Overload;
using Backend.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Http;

/// <summary>The busy check's decisions on a fake clock (the probe run by hand), the busy middleware, the rate rules
/// and the connection limits' mapping to Kestrel (issue 13 point 4; on a real server: Server/OverloadServerTests).</summary>
public sealed class OverloadTests
{
    private sealed class Probes
    {
        public List<IThreadPoolWorkItem> Queued { get; } = [];

        public void Queue(IThreadPoolWorkItem item) => Queued.Add(item);

        /// <summary>Runs the one probe waiting.</summary>
        public void RunWaiting()
        {
            var item = Assert.Single(Queued);
            Queued.Clear();
            item.Execute();
        }
    }

    private static (BusyMonitor Monitor, FakeTimeProvider Time, Probes Probes) Monitor(int limitMs, StatsCollector? stats = null)
    {
        var time = new FakeTimeProvider();
        var probes = new Probes();
        return (new BusyMonitor(limitMs, time, stats, NullLogger<BusyMonitor>.Instance, probes.Queue), time, probes);
    }

    [Fact]
    public void A_probe_that_runs_promptly_is_not_busy()
    {
        var (monitor, time, probes) = Monitor(100);
        monitor.Tick();
        time.Advance(TimeSpan.FromMilliseconds(5));
        probes.RunWaiting();
        Assert.False(monitor.Busy);
        Assert.Equal(5, monitor.LatencyMs, 3);
    }

    [Fact]
    public void A_probe_still_waiting_past_the_limit_makes_it_busy_at_the_next_tick()
    {
        var (monitor, time, probes) = Monitor(100);
        monitor.Tick();
        time.Advance(TimeSpan.FromMilliseconds(90));
        monitor.Tick(); // waiting 90 ms: not yet
        Assert.False(monitor.Busy);
        Assert.Equal(90, monitor.LatencyMs, 3);
        time.Advance(TimeSpan.FromMilliseconds(60));
        monitor.Tick(); // waiting 150 ms
        Assert.True(monitor.Busy);
        Assert.Equal(150, monitor.LatencyMs, 3);
        // No second probe is queued while one waits.
        Assert.Single(probes.Queued);
    }

    [Fact]
    public void It_stays_busy_until_a_probe_runs_within_the_limit()
    {
        var (monitor, time, probes) = Monitor(100);
        monitor.Tick();
        time.Advance(TimeSpan.FromMilliseconds(2000));
        monitor.Tick();
        Assert.True(monitor.Busy);
        // The stalled probe finally runs: it waited 2 s, still busy.
        probes.RunWaiting();
        Assert.True(monitor.Busy);
        Assert.Equal(2000, monitor.LatencyMs, 3);
        // The next probe waits 50 ms so far: the last measure (2 s) still stands.
        time.Advance(TimeSpan.FromMilliseconds(100));
        monitor.Tick();
        time.Advance(TimeSpan.FromMilliseconds(50));
        monitor.Tick();
        Assert.True(monitor.Busy);
        // It runs after 60 ms: under the limit, not busy any more.
        time.Advance(TimeSpan.FromMilliseconds(10));
        probes.RunWaiting();
        Assert.False(monitor.Busy);
        Assert.Equal(60, monitor.LatencyMs, 3);
    }

    [Fact]
    public void The_latency_is_shown_in_the_stats_and_a_limit_of_0_is_never_busy()
    {
        var time = new FakeTimeProvider();
        using var stats = new StatsCollector(time);
        var probes = new Probes();
        var monitor = new BusyMonitor(0, time, stats, NullLogger<BusyMonitor>.Instance, probes.Queue);
        Assert.False(monitor.Enabled);
        monitor.Tick();
        time.Advance(TimeSpan.FromSeconds(5));
        monitor.Tick();
        Assert.False(monitor.Busy);
        Assert.Equal(5000, stats.Latency, 3);
        probes.RunWaiting();
        Assert.Equal(5000, stats.Snapshot().Latency, 3);
    }

    [Fact]
    public async Task A_limit_of_0_starts_no_probe_thread()
    {
        var (monitor, _, probes) = Monitor(0);
        await monitor.StartAsync(CancellationToken.None);
        await Task.Delay(BusyMonitor.Interval * 3, TestContext.Current.CancellationToken);
        Assert.Empty(probes.Queued);
        await monitor.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_probe_thread_measures_the_real_thread_pool()
    {
        using var monitor = new BusyMonitor(1000, TimeProvider.System, null, NullLogger<BusyMonitor>.Instance);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(BusyMonitor.Interval * 5, TestContext.Current.CancellationToken);
            Assert.False(monitor.Busy);
            Assert.InRange(monitor.LatencyMs, 0, 1000);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    private static (BusyMiddleware Middleware, BusyMonitor Monitor, FakeTimeProvider Time, Probes Probes, StatsCollector Stats, ServiceProvider Services) Middleware(
        RequestDelegate next, int limitMs = 100, int maxRequests = 0)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var stats = new StatsCollector(TimeProvider.System); // listens to backend.api.busy
        var metrics = new BackendMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var (monitor, time, probes) = Monitor(limitMs, stats);
        var middleware = new BusyMiddleware(next, monitor, metrics, Options.Create(new OverloadOptions { BusyLatencyMs = limitMs, MaxRequests = maxRequests }));
        return (middleware, monitor, time, probes, stats, services);
    }

    private static async Task<(int Status, string? RetryAfter, JsonNode? Body)> Invoke(BusyMiddleware middleware)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        await middleware.InvokeAsync(context);
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken);
        return (context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString() is { Length: > 0 } r ? r : null, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task While_busy_new_requests_get_503_in_the_json_shape_and_are_counted()
    {
        var ran = 0;
        var (middleware, monitor, time, probes, stats, services) = Middleware(_ => { ran++; return Task.CompletedTask; });
        using (stats)
        await using (services)
        {
            Assert.Equal(200, (await Invoke(middleware)).Status);
            monitor.Tick();
            time.Advance(TimeSpan.FromMilliseconds(500));
            monitor.Tick();
            var (status, retryAfter, body) = await Invoke(middleware);
            Assert.Equal(503, status);
            Assert.Equal("1", retryAfter);
            Assert.Equal(503, body!["status"]!.GetValue<int>());
            Assert.Equal(BusyMiddleware.Message, body["message"]!.GetValue<string>());
            Assert.Equal(1, ran);
            Assert.Equal(1, monitor.Refused);
            Assert.Equal(1, stats.Snapshot().Busy);
            // The probe gets through quickly again: requests are served.
            probes.RunWaiting();
            monitor.Tick();
            probes.RunWaiting();
            Assert.Equal(200, (await Invoke(middleware)).Status);
            Assert.Equal(2, ran);
        }
    }

    [Fact]
    public async Task Beyond_api_max_requests_in_progress_new_ones_get_503()
    {
        var release = new TaskCompletionSource();
        var (middleware, monitor, _, _, stats, services) = Middleware(_ => release.Task, limitMs: 0, maxRequests: 2);
        using (stats)
        await using (services)
        {
            var first = Invoke(middleware);
            var second = Invoke(middleware);
            Assert.Equal(2, middleware.InProgress);
            var (status, retryAfter, body) = await Invoke(middleware);
            Assert.Equal(503, status);
            Assert.Equal("1", retryAfter);
            Assert.Equal(BusyMiddleware.Message, body!["message"]!.GetValue<string>());
            release.SetResult();
            Assert.Equal(200, (await first).Status);
            Assert.Equal(200, (await second).Status);
            Assert.Equal(0, middleware.InProgress);
            Assert.Equal(200, (await Invoke(middleware)).Status);
            Assert.Equal(1, stats.Snapshot().Busy);
            Assert.Equal(1, monitor.Refused);
        }
    }

    [Fact]
    public void Rate_rules_parse_with_the_default_rule_last()
    {
        var rules = RateRule.Parse(["^/account/add$=1/5", "^/a,b$=0", "^/x=3"], 10, 0, "api-rlimits-ip-path");
        Assert.Equal([(1, 5), (0, 0), (3, 3), (10, 10)], rules.Select(r => (r.Rate, r.Max)));
        Assert.Null(rules[^1].Path);
        Assert.Empty(RateRule.Parse([], 0, 0, "p"));
        // Only exemptions and no rate of its own: nothing is limited.
        Assert.Empty(RateRule.Parse(["^/ping$=0"], 0, 0, "p"));
        Assert.Equal([(20, 40)], RateRule.Parse([], 20, 40, "p").Select(r => (r.Rate, r.Max)));
    }

    [Theory]
    [InlineData("^/x")]
    [InlineData("^/x=")]
    [InlineData("^/x=-1")]
    [InlineData("^/x=a")]
    [InlineData("^/x=1/")]
    [InlineData("^/x=1/b")]
    [InlineData("=5")]
    [InlineData("^/x[=5")]
    public void A_bad_rate_rule_is_a_configuration_error_naming_the_parameter(string item)
    {
        var ex = Assert.Throws<ConfigException>(() => RateRule.Parse([item], 0, 0, "api-rlimits-ip-path"));
        Assert.StartsWith("invalid value for -api-rlimits-ip-path: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_matching_path_rule_wins_and_other_paths_take_the_default()
    {
        await using var limiter = new ClientRateLimiter(RateRule.Parse(["^/account/add$=1", "^/ping$=0"], 5, 0, "p"), ClientRateLimiter.Address);
        Assert.Equal(0, limiter.Match("/account/add"));
        Assert.Equal(0, limiter.Match("/ACCOUNT/ADD"));
        Assert.Equal(1, limiter.Match("/ping"));
        Assert.Equal(2, limiter.Match("/account/get"));
        Assert.Equal(2, limiter.Match(null));
        await using var onlyPaths = new ClientRateLimiter(RateRule.Parse(["^/account/add$=1"], 0, 0, "p"), ClientRateLimiter.Address);
        Assert.Equal(-1, onlyPaths.Match("/account/get"));
    }

    [Fact]
    public async Task Buckets_are_per_client_and_rule()
    {
        await using var limiter = new ClientRateLimiter(RateRule.Parse(["^/add$=1"], 2, 0, "p"), ClientRateLimiter.Address);
        HttpContext Request(string ip, string path)
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse(ip);
            context.Request.Path = path;
            return context;
        }
        bool Acquire(string ip, string path)
        {
            using var lease = limiter.Limiter.AttemptAcquire(Request(ip, path));
            return lease.IsAcquired;
        }
        Assert.True(Acquire("10.0.0.1", "/add"));
        Assert.False(Acquire("10.0.0.1", "/add"));
        // The other paths have a bucket of their own (2), and so has another address.
        Assert.True(Acquire("10.0.0.1", "/get"));
        Assert.True(Acquire("10.0.0.1", "/get"));
        Assert.False(Acquire("10.0.0.1", "/get"));
        Assert.True(Acquire("10.0.0.2", "/add"));
        // No address (not a TCP connection): not limited.
        using var lease = limiter.Limiter.AttemptAcquire(new DefaultHttpContext());
        Assert.True(lease.IsAcquired);
    }

    [Fact]
    public void The_connection_limits_map_to_kestrel_and_0_is_no_limit()
    {
        var limits = new KestrelServerOptions().Limits;
        ConnectionLimits.Apply(limits, new ServerOptions());
        Assert.Null(limits.MaxConcurrentConnections);
        Assert.Equal(TimeSpan.FromSeconds(61), limits.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.RequestHeadersTimeout);
        Assert.Equal(240, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(240, limits.MinResponseDataRate!.BytesPerSecond);
        ConnectionLimits.Apply(limits, new ServerOptions
        {
            MaxConnections = 100,
            KeepAliveTimeoutMs = 5000,
            HeadersTimeoutMs = 2000,
            MinBodyRate = 0,
            MinResponseRate = 1000,
        });
        Assert.Equal(100, limits.MaxConcurrentConnections);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.KeepAliveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), limits.RequestHeadersTimeout);
        Assert.Null(limits.MinRequestBodyDataRate);
        Assert.Equal(1000, limits.MinResponseDataRate!.BytesPerSecond);
    }

    [Fact]
    public void The_registry_defaults_are_the_options_defaults()
    {
        var registry = ConfigRegistry.CreateDefault();
        string Default(string name) => registry.TryGet(name, out var p) ? p.Default ?? "" : throw new InvalidOperationException(name);
        var server = new ServerOptions();
        var overload = new OverloadOptions();
        Assert.Equal(server.Backlog.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("backlog"));
        Assert.Equal(server.KeepAliveTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("timeout"));
        Assert.Equal(server.HeadersTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("api-headers-timeout"));
        Assert.Equal("0", Default("api-max-connections"));
        Assert.Equal("0", Default("ws-max-connections"));
        Assert.Equal(server.MinBodyRate.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("api-min-body-rate"));
        Assert.Equal(server.MinResponseRate.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("api-min-response-rate"));
        Assert.Equal(overload.BusyLatencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("api-busy-latency"));
        Assert.Equal("1000", Default("api-busy-latency"));
        foreach (var name in new[] { "api-max-requests", "api-rlimits-ip-rate", "api-rlimits-ip-max", "api-rlimits-id-rate", "api-rlimits-id-max" })
            Assert.Equal("0", Default(name));
    }
}
