using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Backend.Configuration;
using Backend.Hosting;
using Backend.Metrics;
using Backend.Tests.Data;
using Backend.Tests.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Kind = Backend.Metrics.PrometheusExporter.ExportKind;

namespace Backend.Tests.Metrics;

/// <summary>The Prometheus export (issue 13 point 3): instrument names as OpenTelemetry's exporter makes them, the
/// measurements as Prometheus counters, gauges and histograms, only this app's meters; the endpoint on its own port,
/// alone there, left out of the request metrics; the parameters checked at start.</summary>
public sealed class PrometheusExportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http.server.request.duration", "s", "Histogram", "http_server_request_duration_seconds")]
    [InlineData("http.server.active_requests", "{request}", "UpDown", "http_server_active_requests")]
    [InlineData("backend.db.errors", "{error}", "Counter", "backend_db_errors_total")]
    [InlineData("backend.process.rss", "By", "Gauge", "backend_process_rss_bytes")]
    [InlineData("dotnet.gc.collections", "{collection}", "ObservedCounter", "dotnet_gc_collections_total")]
    [InlineData("dotnet.gc.pause.time", "s", "ObservedCounter", "dotnet_gc_pause_time_seconds_total")]
    [InlineData("cpu.utilization", "1", "Gauge", "cpu_utilization_ratio")]
    [InlineData("requests", "1", "Counter", "requests_total")]
    [InlineData("net.rate", "By/s", "Gauge", "net_rate_bytes_per_second")]
    [InlineData("queue.wait_ms", "ms", "Histogram", "queue_wait_ms_milliseconds")]
    [InlineData("job.time_seconds", "s", "Histogram", "job_time_seconds")]
    [InlineData("sent_total", "", "Counter", "sent_total")]
    [InlineData("9-lives..x", null, "Gauge", "_9_lives_x")]
    public void Names_are_those_of_the_OpenTelemetry_exporter(string name, string? unit, string kind, string expected) =>
        Assert.Equal(expected, PrometheusExporter.MetricName(name, unit, Enum.Parse<Kind>(kind)));

    private static async Task<string> Scrape(PrometheusExporter exporter)
    {
        using var stream = new MemoryStream();
        await exporter.Registry.CollectAndExportAsTextAsync(stream, Ct);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Measurements_become_counters_gauges_and_histograms_of_this_apps_meters_only()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(["Test.Shop"], factory);
        var meter = factory.Create("Test.Shop");
        var orders = meter.CreateCounter<long>("shop.orders", "{order}", "Orders taken");
        var open = meter.CreateUpDownCounter<int>("shop.open_carts", "{cart}");
        var latency = meter.CreateHistogram<double>("shop.checkout.duration", "s", "Checkout time", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        var stock = 42.5;
        meter.CreateObservableGauge("shop.stock.value", () => stock, "By");
        // The same meter name from another host's factory (another app in this process) is not this app's.
        var elsewhere = other.GetRequiredService<IMeterFactory>().Create("Test.Shop").CreateCounter<long>("shop.orders.elsewhere");
        using var notListed = new Meter("Test.Other");
        var ignored = notListed.CreateCounter<long>("other.count");

        orders.Add(2, new("shop.region", "eu"), new("shop.kind", "web"));
        orders.Add(3, new("shop.kind", "web"), new("shop.region", "eu")); // same series, tags in another order
        orders.Add(1, new("shop.region", "us"), new("shop.kind", "app"));
        orders.Add(4); // no tags: a series of its own
        orders.Add(-5, new("shop.region", "eu"), new("shop.kind", "web")); // a counter never goes down: dropped
        open.Add(3);
        open.Add(-1);
        latency.Record(0.05, new KeyValuePair<string, object?>("http.route", "/checkout/{id}"));
        latency.Record(0.5, new KeyValuePair<string, object?>("http.route", "/checkout/{id}"));
        latency.Record(2, new KeyValuePair<string, object?>("http.route", "/checkout/{id}"));
        elsewhere.Add(1);
        ignored.Add(1);

        var text = await Scrape(exporter);
        var lines = text.Split('\n');
        Assert.Contains("# TYPE shop_orders_total counter", lines);
        Assert.Contains("# HELP shop_orders_total Orders taken", lines);
        Assert.Contains("shop_orders_total{shop_kind=\"web\",shop_region=\"eu\"} 5", lines);
        Assert.Contains("shop_orders_total{shop_kind=\"app\",shop_region=\"us\"} 1", lines);
        Assert.Contains("shop_orders_total 4", lines);
        Assert.Contains("# TYPE shop_open_carts gauge", lines);
        Assert.Contains("shop_open_carts 2", lines);
        Assert.Contains("# TYPE shop_checkout_duration_seconds histogram", lines);
        Assert.Contains("shop_checkout_duration_seconds_bucket{http_route=\"/checkout/{id}\",le=\"0.1\"} 1", lines);
        Assert.Contains("shop_checkout_duration_seconds_bucket{http_route=\"/checkout/{id}\",le=\"1\"} 2", lines);
        Assert.Contains("shop_checkout_duration_seconds_bucket{http_route=\"/checkout/{id}\",le=\"+Inf\"} 3", lines);
        Assert.Contains("shop_checkout_duration_seconds_count{http_route=\"/checkout/{id}\"} 3", lines);
        Assert.Contains("shop_stock_value_bytes 42.5", lines);
        Assert.Contains(lines, l => l.StartsWith("process_start_time_seconds ", StringComparison.Ordinal));
        Assert.DoesNotContain("elsewhere", text, StringComparison.Ordinal);
        Assert.DoesNotContain("other_count", text, StringComparison.Ordinal);

        // Observable instruments are read at each scrape.
        stock = 7;
        Assert.Contains("shop_stock_value_bytes 7", (await Scrape(exporter)).Split('\n'));
    }

    [Fact]
    public async Task Concurrent_measurements_with_many_label_values_are_all_counted()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(["Test.Load"], factory);
        var hits = factory.Create("Test.Load").CreateCounter<long>("load.hits");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++) hits.Add(1, new("route", "/r" + (i % 10).ToString(CultureInfo.InvariantCulture)), new("status", 200 + (i % 3)));
        }, Ct)));
        var lines = (await Scrape(exporter)).Split('\n').Where(l => l.StartsWith("load_hits_total{", StringComparison.Ordinal)).ToList();
        Assert.Equal(30, lines.Count);
        Assert.Equal(80_000, lines.Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)));
        // Each label value stays with its own series (the label buffer is reused per thread).
        Assert.All(lines, l => Assert.Matches("^load_hits_total\\{route=\"/r\\d\",status=\"20[012]\"\\} \\d+$", l));
    }

    private static int FreePort() => BackendServer.FreePort();

    [Fact]
    public async Task The_endpoint_has_its_own_port_and_counts_requests_per_route_pattern()
    {
        using var home = new TempDirectory();
        int port = FreePort(), metrics = FreePort();
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", "-port", port.ToString(CultureInfo.InvariantCulture),
            "-prometheus-port", metrics.ToString(CultureInfo.InvariantCulture), "-api-allow-path", "^/ping$", "-api-allow-path", "^/items/", "-prometheus-meters", "Test.App"]);
        await using var app = builder.Build();
        app.Web.MapGet("/items/{id}", (string id) => id);
        var appMeter = app.Services.GetRequiredService<IMeterFactory>().Create("Test.App");
        var made = appMeter.CreateCounter<long>("app.things.made");
        await app.StartAsync(Ct);
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metrics}") };
        for (var i = 0; i < 3; i++) (await api.GetAsync("/ping", Ct)).EnsureSuccessStatusCode();
        for (var i = 0; i < 4; i++) (await api.GetAsync($"/items/{i}", Ct)).EnsureSuccessStatusCode();
        made.Add(9);

        for (var i = 0; i < 3; i++) await scraper.GetStringAsync("/metrics", Ct);
        using var scrape = await scraper.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        var lines = (await scrape.Content.ReadAsStringAsync(Ct)).Split('\n');
        double Count(string route) => lines.Where(l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal) && l.Contains($"http_route=\"{route}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        Assert.Equal(3, Count("/ping"));
        // The route pattern, never the raw paths.
        Assert.Equal(4, Count("/items/{id}"));
        Assert.DoesNotContain(lines, l => l.Contains("/items/1", StringComparison.Ordinal));
        // The scrapes are not requests of the API: no series without a route (no other request was made).
        Assert.DoesNotContain(lines, l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal) && !l.Contains("http_route=", StringComparison.Ordinal));
        Assert.Contains("app_things_made_total 9", lines);
        Assert.Contains(lines, l => l.StartsWith("dotnet_gc_heap_total_allocated_bytes_total ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("kestrel_active_connections{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("backend_db_duration_seconds_count{", StringComparison.Ordinal) || l.StartsWith("backend_process_rss_bytes ", StringComparison.Ordinal));

        // Nothing else on the metrics port, and no metrics on the API's.
        using var other = await scraper.GetAsync("/ping", Ct);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var onApi = await api.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, onApi.StatusCode); // no signature: the API's answer to an unknown path
        await app.StopAsync(Ct);
    }

    [Theory]
    [InlineData(new[] { "-port", "9000", "-prometheus-port", "9000" }, "invalid value for -prometheus-port: 9000 takes 9000 of -port")]
    [InlineData(new[] { "-port", "9000", "-ws-port", "9001", "-prometheus-port", "9001" }, "takes 9001 of -ws-port")]
    [InlineData(new[] { "-prometheus-port", "9100", "-prometheus-bind", "metrics.local" }, "invalid value for -prometheus-bind: \"metrics.local\" is not an IP address")]
    [InlineData(new[] { "-collect-host", "http://127.0.0.1:1/c", "-api-no-metrics" }, "-collect-host posts the statistics that -api-no-metrics turns off")]
    [InlineData(new[] { "-collect-host", "http://127.0.0.1:1/c", "-collect-interval", "0.05" }, "invalid value for -collect-interval: 0.05 is less than 0.1 s")]
    [InlineData(new[] { "-collect-host", "not a url" }, "collect-host")]
    public void Bad_parameters_stop_the_build(string[] args, string message)
    {
        using var home = new TempDirectory();
        var ex = Assert.Throws<ConfigException>(() => BackendApplicationBuilder.CreateBuilder(["-home", home.Root, "-log", "none", .. args]).Build());
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web-1.1", 0)]
    [InlineData("web-2.7", 1)]
    [InlineData("web-12", 11)]
    [InlineData("master.3", 0)]
    [InlineData(null, 0)]
    public void A_web_worker_takes_the_port_of_its_slot(string? childId, int index) =>
        Assert.Equal(index, MetricsExport.WorkerIndex(new Backend.Runtime.RuntimePlan(Backend.Runtime.ProcessRole.Worker, childId)));
}
