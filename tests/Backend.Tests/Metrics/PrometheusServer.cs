using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Backend.Tests.Server;

namespace Backend.Tests.Metrics;

/// <summary>A real Prometheus (Debian's package, installed by scripts/servers) scraping some targets every second: its
/// own config and storage in a temp folder, its HTTP API on a free loopback port, never the system service. Disposing
/// kills this process (by its pid) and deletes the folder.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The prometheus program, or a skip (a failure under CI, where scripts/servers installs it).</summary>
    public static string Require()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Where(d => d.Length > 0))
        {
            var path = Path.Combine(dir, "prometheus");
            if (File.Exists(path)) return path;
        }
        const string why = "no prometheus program: scripts/servers start installs it (apt-get install prometheus)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return "";
    }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (host:port) as job <c>bkcs</c> every second and
    /// returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> targets)
    {
        var program = Require();
        var dir = Directory.CreateTempSubdirectory("bkcs-prometheus-").FullName;
        var config = new StringBuilder()
            .AppendLine("global:")
            .AppendLine("  scrape_interval: 1s")
            .AppendLine("  scrape_timeout: 1s")
            .AppendLine("scrape_configs:")
            .AppendLine("  - job_name: bkcs")
            .AppendLine("    static_configs:")
            .AppendLine("      - targets: [" + string.Join(", ", targets.Select(t => $"'{t}'")) + "]")
            .ToString();
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), config, TestContext.Current.CancellationToken);
        var port = BackendServer.FreePort();
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var a in new[]
        {
            "--config.file=" + Path.Combine(dir, "prometheus.yml"), "--storage.tsdb.path=" + Path.Combine(dir, "data"),
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--log.level=warn",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var server = new PrometheusServer(Process.Start(psi)!, dir, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var ready = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !ready && !server._process.HasExited && DateTime.UtcNow < deadline;)
        {
            try
            {
                using var r = await server._http.GetAsync("/-/ready", TestContext.Current.CancellationToken);
                ready = r.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (!ready) await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        if (!ready || server._process.HasExited)
        {
            var output = server.Output;
            await server.DisposeAsync();
            Assert.Fail($"prometheus did not start: {output}");
        }
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>An instant query (<c>/api/v1/query</c>): each series' labels and value.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string expression)
    {
        using var form = new FormUrlEncodedContent([new("query", expression)]);
        using var response = await _http.PostAsync("/api/v1/query", form, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{expression}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        var result = new List<(Dictionary<string, string>, double)>();
        foreach (var series in json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            var value = double.Parse(series.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            result.Add((labels, value));
        }
        return result;
    }

    /// <summary>Queries <paramref name="expression"/> until <paramref name="done"/> holds for its answer (Prometheus
    /// takes up to 5 s to start scraping new targets, then scrapes every second); fails with the last answer.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> WaitForAsync(string expression, Func<List<(Dictionary<string, string> Labels, double Value)>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<(Dictionary<string, string> Labels, double Value)> last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await QueryAsync(expression);
            if (done(last)) return last;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        var targets = await _http.GetStringAsync("/api/v1/targets", TestContext.Current.CancellationToken);
        Assert.Fail($"{expression} after {timeout.TotalSeconds} s: [{string.Join("; ", last.Select(s => $"{string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))} {s.Value}"))}]\ntargets: {targets}\nprometheus: {Output}");
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // gone
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held: left in the temp folder
        }
    }
}
