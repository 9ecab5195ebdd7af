using System.Text.Json;
using Backend.Tests.Runtime;
using Backend.Tests.Server;

namespace Backend.Tests.Metrics;

/// <summary>The reference's <c>-collect-host</c> (issue 13 point 3): samples of <c>/system/stats/get</c> posted to a
/// collector on a schedule, kept through an outage that is logged once; with Web workers the whole machine's figures,
/// posted by the Web server process.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class CollectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static IEnumerable<JsonElement> Samples(ReportReceiver receiver) => receiver.Reports.SelectMany(r => r.EnumerateArray());

    private static long Pings(JsonElement sample) =>
        sample.GetProperty("api").GetProperty("routes").TryGetProperty("/ping", out var route) ? route.GetProperty("meter").GetProperty("count").GetInt64() : 0;

    private static async Task Ping(BackendServer server, int connections, int each) =>
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using var c = new HttpClient { BaseAddress = server.BaseAddress };
            for (var i = 0; i < each; i++) (await c.GetAsync("/ping", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }));

    [Fact]
    public async Task Samples_are_posted_in_batches_and_kept_through_an_outage()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        await using var server = await BackendServer.StartAsync(["-collect-host", receiver.Url, "-collect-interval", "0.2", "-collect-send-interval", "0.4", "-api-allow-path", "^/ping$", "-log", "info"]);
        await Ping(server, 1, 5);
        Assert.True(await ProcessTree.WaitUntil(() => Samples(receiver).Any(s => Pings(s) == 5), Wait), server.Output);

        var report = receiver.Reports[^1];
        Assert.Equal(JsonValueKind.Array, report.ValueKind);
        Assert.Equal(2, report.GetArrayLength()); // 0.4 s of 0.2 s samples
        var sample = report[1];
        Assert.Equal(server.ProcessId, sample.GetProperty("pid").GetInt32());
        Assert.Equal(System.Net.Dns.GetHostName(), sample.GetProperty("host").GetString());
        Assert.InRange(sample.GetProperty("mtime").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.True(report[0].GetProperty("mtime").GetInt64() < sample.GetProperty("mtime").GetInt64());
        Assert.Equal(1, sample.GetProperty("processes").GetInt32());
        // /system/stats/get's sections, as the reference had them.
        foreach (var section in new[] { "latency", "busy", "api", "pool", "pools", "cache", "pubsub", "jobs", "rss", "heap", "loadavg" })
            Assert.True(sample.TryGetProperty(section, out _), $"no {section}");
        Assert.Contains("posting the statistics to " + receiver.Url, server.Output, StringComparison.Ordinal);

        // The collector fails for a while: one warning, the samples kept and delivered with the next ones.
        receiver.Failing = true;
        var attempts = receiver.Attempts;
        Assert.True(await ProcessTree.WaitUntil(() => receiver.Attempts >= attempts + 3, Wait), server.Output);
        var reports = receiver.Reports.Count;
        await Ping(server, 1, 2);
        receiver.Failing = false;
        Assert.True(await ProcessTree.WaitUntil(() => receiver.Reports.Count > reports, Wait), server.Output);
        var after = receiver.Reports[reports];
        Assert.True(after.GetArrayLength() >= 6, $"{after.GetArrayLength()} samples after an outage of 3 posts");
        Assert.True(await ProcessTree.WaitUntil(() => Samples(receiver).Any(s => Pings(s) == 7), Wait), server.Output);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("again after", StringComparison.Ordinal), Wait), server.Output);
        Assert.Equal(1, CountOf(server.Output, "the statistics could not be posted to"));
        Assert.Contains("answered 503", server.Output, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    [Fact]
    public async Task With_web_workers_the_server_posts_the_whole_machine()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        await using var server = await BackendServer.StartAsync(["-web", "-server-max-workers", "2", "-collect-host", receiver.Url, "-collect-interval", "0.3", "-collect-send-interval", "0.3",
            "-api-allow-path", "^/ping$", "-log", "info"]);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), Wait), server.Output);
        await Ping(server, 40, 5);
        Assert.True(await ProcessTree.WaitUntil(() => Samples(receiver).Any(s => Pings(s) == 200), Wait),
            $"{string.Join(", ", Samples(receiver).Select(Pings))}\n{server.Output}");
        var sample = Samples(receiver).Last();
        Assert.Equal(2, sample.GetProperty("processes").GetInt32());
        // One poster: the Web server process, not each worker.
        Assert.All(Samples(receiver), s => Assert.Equal(server.ProcessId, s.GetProperty("pid").GetInt32()));
        Assert.Equal(1, CountOf(server.Output, "posting the statistics to"));
    }
}
