using System.Globalization;
using System.Text.Json.Nodes;
using Backend.Tests.Runtime;
using Backend.Tests.Server;

namespace Backend.Tests.Metrics;

/// <summary><c>/system/stats/get</c> on a real server (issue 13 point 2): the reference's sections, requests counted per
/// route pattern, database calls per pool, admins only; with Web workers, the whole machine.</summary>
public sealed class SystemStatsTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static JsonNode Node(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.')) node = node?[part];
        return node ?? throw new InvalidOperationException($"no {path}");
    }

    [Fact]
    public async Task Stats_have_the_reference_sections_and_count_requests_per_route_and_pool()
    {
        var user = await Accounts.Add(fixture.Server, null);
        using (var client = fixture.Server.Client(user))
        {
            for (var i = 0; i < 7; i++) ApiAssert.Ok(await client.Get("/account/get"));
        }
        using var admin = fixture.Server.Client(fixture.Admin);
        var r = await admin.Get("/system/stats/get");
        ApiAssert.Ok(r);
        var json = r.Json!;
        foreach (var section in new[] { "latency", "busy", "pool", "api", "rss", "heap", "loadavg", "pools", "cache", "pubsub", "jobs", "processes" })
            Assert.True(json[section] is not null, $"no {section} in {r.Body}");
        Assert.Equal(1, Node(json, "processes").GetValue<int>());
        // The route pattern, never the raw path.
        var route = Node(json, "api.routes./account/get");
        Assert.True(Node(route, "meter.count").GetValue<long>() >= 7, r.Body);
        Assert.True(Node(route, "histogram.count").GetValue<long>() >= 7);
        Assert.True(Node(route, "histogram.max").GetValue<double>() > 0);
        foreach (var key in new[] { "mean", "count", "currentRate", "1MinuteRate", "5MinuteRate", "15MinuteRate" }) Assert.NotNull(route["meter"]![key]);
        foreach (var key in new[] { "min", "max", "sum", "variance", "mean", "stddev", "count", "median", "p75", "p95", "p99", "p999" }) Assert.NotNull(route["histogram"]![key]);
        Assert.True(Node(json, "api.response.meter.count").GetValue<long>() >= 7);
        // Every signed request reads bk_auth (cached) and /account/get reads bk_account: database calls on the pool.
        Assert.True(Node(json, "pool.response.histogram.count").GetValue<long>() >= 7, r.Body);
        Assert.True(Node(json, "pool.queue.count").GetValue<long>() >= 7);
        Assert.True(Node(json, "pool.cache.hits").GetValue<long>() + Node(json, "pool.cache.misses").GetValue<long>() >= 7);
        var pool = Assert.Single(Node(json, "pools").AsObject());
        Assert.True(Node(pool.Value, "response.meter.count").GetValue<long>() >= 7);
        Assert.True(Node(json, "rss.max").GetValue<double>() > 1_000_000);
        Assert.True(Node(json, "heap.count").GetValue<long>() >= 1);
    }

    [Fact]
    public async Task Stats_are_for_admins()
    {
        var user = await Accounts.Add(fixture.Server, null);
        using var client = fixture.Server.Client(user);
        ApiAssert.Error(await client.Get("/system/stats/get"), 403);
        using var anonymous = fixture.Server.Client();
        ApiAssert.Error(await anonymous.Get("/system/stats/get"), 400);
    }
}

/// <summary><c>-api-no-metrics</c>: no statistics kept, <c>/system/stats/get</c> is 404.</summary>
public sealed class NoMetricsTests
{
    [Fact]
    public async Task With_api_no_metrics_the_stats_are_404()
    {
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(["-api-no-metrics"], home, ownsHome: true);
        using var client = server.Client(admin);
        ApiAssert.Error(await client.Get("/system/stats/get"), 404, "Statistics are off on this server (-api-no-metrics)");
        ApiAssert.Ok(await client.Get("/account/get"));
    }
}

/// <summary><c>/system/stats/get</c> on a server with Web workers covers every worker.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class MachineStatsTests
{
    [Fact]
    public async Task With_web_workers_the_stats_cover_the_whole_machine()
    {
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(["-web", "-server-max-workers", "2", "-api-allow-path", "^/ping$"], home, ownsHome: true);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60)), server.Output);
        // Many connections, so both workers get some (the kernel spreads connections, not requests).
        var tasks = Enumerable.Range(0, 40).Select(async _ =>
        {
            using var c = new HttpClient { BaseAddress = server.BaseAddress };
            for (var i = 0; i < 5; i++) (await c.GetAsync("/ping", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        });
        await Task.WhenAll(tasks);
        using var client = server.Client(admin);
        var r = await client.Get("/system/stats/get");
        ApiAssert.Ok(r);
        Assert.Equal(2, r.Json!["processes"]!.GetValue<int>());
        var pings = r.Json!["api"]!["routes"]!["/ping"]!["meter"]!["count"]!.GetValue<long>();
        Assert.True(pings >= 200, $"{pings} /ping requests counted of 200: " + r.Body[..Math.Min(500, r.Body.Length)]);
        Assert.True(r.Json!["rss"]!["count"]!.GetValue<long>() >= 2, "a memory sample from each worker");
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"machine stats: {pings} pings over 2 workers"));
    }

    [Fact]
    public async Task The_masters_job_runs_are_in_the_machine_stats()
    {
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(["-web", "-master", "-server-max-workers", "1", "-server-jobs-interval", "200"], home, ownsHome: true);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60)), server.Output);
        using var client = server.Client(admin);
        ApiAssert.Ok(await client.Get("/system/jobs/submit", ("name", "noop")));
        ApiAssert.Ok(await client.Get("/system/jobs/submit", ("name", "crash")));
        JsonNode? jobs = null;
        var counted = await ProcessTree.WaitUntil(() =>
        {
            var r = client.Get("/system/stats/get").GetAwaiter().GetResult();
            jobs = r.Json?["jobs"];
            return jobs?["runs"]?.GetValue<long>() >= 2;
        }, TimeSpan.FromSeconds(60), 500);
        Assert.True(counted, $"job runs not counted: {jobs?.ToJsonString()}\n{server.Output}");
        Assert.Equal(1, jobs!["failures"]!.GetValue<long>());
        Assert.Equal(1, jobs["response"]!["histogram"]!["count"]!.GetValue<long>() - 1); // both runs timed
    }
}
