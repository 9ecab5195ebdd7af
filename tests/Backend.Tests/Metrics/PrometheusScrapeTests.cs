using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Tests.Runtime;
using Backend.Tests.Server;

namespace Backend.Tests.Metrics;

/// <summary>A real Prometheus scrapes <c>-prometheus-port</c> of a real server and its query API answers the request
/// count of a route: one process, and a Web server whose workers each export on their own port (SO_REUSEPORT gives each
/// connection to any worker, so the API port could not tell them apart), through a rolling restart.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class PrometheusScrapeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A port whose next <paramref name="count"/> - 1 are free too (one per Web worker).</summary>
    private static int FreePorts(int count)
    {
        while (true)
        {
            var first = BackendServer.FreePort();
            var ok = true;
            for (var p = first + 1; p < first + count && ok; p++)
            {
                try
                {
                    using var l = new TcpListener(IPAddress.Loopback, p);
                    l.Start();
                }
                catch (SocketException)
                {
                    ok = false;
                }
            }
            if (ok && first + count <= 65535) return first;
        }
    }

    private static async Task Ping(BackendServer server, int connections, int each)
    {
        // Many connections, so every worker gets some (the kernel spreads connections, not requests).
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using var c = new HttpClient { BaseAddress = server.BaseAddress };
            for (var i = 0; i < each; i++) (await c.GetAsync("/ping", TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }));
    }

    private const string PingCount = "sum(http_server_request_duration_seconds_count{job=\"bkcs\",http_route=\"/ping\"})";

    [Fact]
    public async Task Prometheus_scrapes_a_server_and_counts_the_requests_of_a_route()
    {
        PrometheusServer.Require();
        var metrics = FreePorts(1);
        await using var server = await BackendServer.StartAsync(["-prometheus-port", P(metrics), "-api-allow-path", "^/ping$"]);
        await Ping(server, 1, 7);
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{metrics}"]);

        await prometheus.WaitForAsync(PingCount, r => r.Count == 1 && r[0].Value == 7, Wait);
        var up = await prometheus.QueryAsync("up{job=\"bkcs\"}");
        Assert.Equal(1, Assert.Single(up).Value);
        // The series carries the route pattern and the status, and the scrapes are not API requests.
        var series = await prometheus.QueryAsync("http_server_request_duration_seconds_count{job=\"bkcs\"}");
        var ping = Assert.Single(series);
        Assert.Equal(("/ping", "200", "GET"), (ping.Labels["http_route"], ping.Labels["http_response_status_code"], ping.Labels["http_request_method"]));
        // The platform's own instruments are there too.
        Assert.NotEmpty(await prometheus.QueryAsync("backend_process_rss_bytes{job=\"bkcs\"} > 1000000"));

        await Ping(server, 1, 3);
        await prometheus.WaitForAsync(PingCount, r => r.Count == 1 && r[0].Value == 10, Wait);
    }

    [Fact]
    public async Task With_web_workers_each_is_a_target_and_their_sum_is_every_request()
    {
        PrometheusServer.Require();
        var metrics = FreePorts(2);
        await using var server = await BackendServer.StartAsync(["-web", "-server-max-workers", "2", "-prometheus-port", P(metrics), "-api-allow-path", "^/ping$", "-log", "info"]);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), Wait), server.Output);
        await Ping(server, 40, 5);
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{metrics}", $"127.0.0.1:{metrics + 1}"]);

        await prometheus.WaitForAsync("up{job=\"bkcs\"} == 1", r => r.Count == 2, Wait);
        await prometheus.WaitForAsync(PingCount, r => r.Count == 1 && r[0].Value == 200, Wait);
        var starts = (await prometheus.QueryAsync("process_start_time_seconds{job=\"bkcs\"}")).ToDictionary(s => s.Labels["instance"], s => s.Value);
        Assert.Equal(2, starts.Count);

        // A rolling restart: each replacement takes its worker's port (shared while both run) and starts counting anew.
        Assert.True(Backend.Runtime.Posix.Kill(server.ProcessId, Backend.Runtime.Posix.SIGHUP));
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("the Web workers were restarted", StringComparison.Ordinal), Wait), server.Output);
        await prometheus.WaitForAsync("process_start_time_seconds{job=\"bkcs\"}", r => r.Count == 2 && r.All(s => s.Value > starts[s.Labels["instance"]]), Wait);
        await Ping(server, 20, 3);
        await prometheus.WaitForAsync(PingCount, r => r.Count == 1 && r[0].Value == 60, Wait);
        await prometheus.WaitForAsync("up{job=\"bkcs\"} == 1", r => r.Count == 2, Wait);
    }
}
