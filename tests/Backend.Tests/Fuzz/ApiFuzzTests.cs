using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backend.Tests.Server;

namespace Backend.Tests.Fuzz;

/// <summary>The fuzz server: an admin (so <c>/data/*</c> is reached as an admin) and <c>-api-unsecure data</c> (so it is
/// reached as an ordinary account too, through the ownership and privacy checks), with a long poll that answers after
/// 100 ms so <c>/account/subscribe</c> does not hold the run.</summary>
public sealed class FuzzServerFixture : AdminServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-unsecure", "data", "-api-subscribe-timeout", "100", "-api-subscribe-interval", "0"];
}

/// <summary>Generated requests to every endpoint of a real server (see <see cref="FuzzGen"/> and docs/fuzzing.md): a
/// fixed seed and 20,000 requests in the normal run on SQLite (5,000 on each external pool), 1,000,000 in the long mode
/// (<c>BKCS_FUZZ_LONG=1</c>). Every answer is checked (<see cref="FuzzRunner.Check"/>); at the end the server must
/// have logged next to nothing for the bad requests and still answer a normal signed request. A failure is shrunk by
/// CsCheck and printed as a case to paste into FuzzRegressionTests.</summary>
public sealed class ApiFuzzTests(FuzzServerFixture fixture) : IClassFixture<FuzzServerFixture>
{
    /// <summary>Most log bytes per bad request: client errors are logged at Debug only (off by default).</summary>
    public const double MaxLogBytesPerBadRequest = 1.0;

    [Fact]
    public async Task Generated_requests_never_get_a_5xx_a_stack_trace_or_an_error_outside_the_JSON_shape()
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = FuzzSettings.FromEnvironment(BackendServer.Pool);
        var server = fixture.Server;
        using var runner = await FuzzRunner.StartAsync(server, fixture.Admin);
        await Task.Delay(300, ct);
        var logStart = server.Output.Length;
        var logBefore = Encoding.UTF8.GetByteCount(server.Output);
        var rssBefore = FuzzReport.RssKib(server.ProcessId);
        var clock = Stopwatch.StartNew();
        var progress = settings.Long ? (Action<long>)(n => FuzzReport.Progress($"api-{BackendServer.Pool}", n, settings.Requests, clock.Elapsed, runner.Stats, FuzzReport.RssKib(server.ProcessId))) : null;

        var (failures, failed) = await FuzzDriver.RunAsync(FuzzGen.Case, c => runner.RunAsync(c, ct), c => c.Describe(c.Build(runner.Context)),
            settings.Requests, settings.Seed, settings.Concurrency, progress, ct);
        var elapsed = clock.Elapsed;

        // The server is still healthy: a new account signs a normal request.
        using (var client = server.Client(await fixture.AddAccount()))
            ApiAssert.Ok(await client.Get("/account/get"));
        await Task.Delay(300, ct);
        var output = server.Output;
        var logBytes = Encoding.UTF8.GetByteCount(output) - logBefore;
        var rssAfter = FuzzReport.RssKib(server.ProcessId);
        var stats = runner.Stats;
        var perBad = stats.ClientErrors == 0 ? 0 : logBytes / (double)stats.ClientErrors;
        var logTraces = CountOf(output, "   at ");

        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"pool {BackendServer.Pool}, seed {settings.Seed}, {settings.Requests:N0} requests, {settings.Concurrency} in flight, {elapsed.TotalSeconds:F1} s ({stats.Requests / Math.Max(elapsed.TotalSeconds, 0.001):F0}/s)")
            .AppendLine(stats.Summary())
            .AppendLine(CultureInfo.InvariantCulture, $"log: {logBytes:N0} bytes for {stats.ClientErrors:N0} bad requests = {perBad:F3} bytes per bad request; stack-trace lines in the log {logTraces}")
            .AppendLine(CultureInfo.InvariantCulture, $"server RSS: {rssBefore:N0} KiB before, {rssAfter:N0} KiB after")
            .ToString();
        // The server's own account of any fault (its log keeps at most 10 a minute with their stack traces).
        var faults = output[Math.Min(output.Length, logStart)..].Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).Take(5).ToList();
        if (faults.Count > 0) report += "server faults logged:\n" + string.Join("\n", faults.Select(l => l.Length > 3000 ? l[..3000] : l)) + "\n";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        FuzzReport.Write($"api-{BackendServer.Pool}{(settings.Long ? "-long" : "")}.txt", report);

        if (failed > 0)
        {
            var shrunk = await FuzzDriver.ShrinkAsync(FuzzGen.Case, c => runner.RunAsync(c, ct), c => c.Describe(c.Build(runner.Context)),
                failures[0].Seed, settings.Long ? 5000 : 1000, settings.Concurrency);
            Assert.Fail(report + FuzzDriver.Report(failures, failed, shrunk));
        }
        Assert.Equal(settings.Requests, stats.Requests);
        Assert.Equal(0, stats.Server5xx);
        Assert.Equal(0, stats.Leaks);
        Assert.Equal(0, stats.BadShape);
        Assert.Equal(0, logTraces);
        Assert.True(perBad < MaxLogBytesPerBadRequest, report + output[^Math.Min(output.Length, 4000)..]);
        // The run reached the endpoints, not only the signature check: most signed requests were accepted, and most
        // endpoints answered 2xx to something.
        Assert.True(stats.ValidRejected < stats.ValidSigned / 20, report);
        var reachable = FuzzApi.Templates.Count - FuzzApi.NoOkExpected.Length;
        Assert.True(stats.OkByEndpoint.Count >= reachable * 3 / 4, $"only {stats.OkByEndpoint.Count} of {reachable} endpoints answered 2xx:\n{report}");
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}

/// <summary>Where fuzz figures go: <c>artifacts/fuzz/</c> at the repository root.</summary>
public static class FuzzReport
{
    /// <summary>The report directory.</summary>
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) dir = dir.Parent;
            var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "fuzz");
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>Writes a report file.</summary>
    public static void Write(string name, string text) => File.WriteAllText(Path.Combine(Directory, name), text);

    /// <summary>Appends a progress line (long runs).</summary>
    public static void Progress(string name, long done, long total, TimeSpan elapsed, FuzzStats? stats, long rssKib = -1) =>
        File.AppendAllText(Path.Combine(Directory, name + ".progress"),
            string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} {done:N0}/{total:N0} in {elapsed.TotalSeconds:F0} s; {(stats is null ? "" : $"5xx {stats.Server5xx}, leaks {stats.Leaks}, bad shape {stats.BadShape}, 2xx {stats.Ok:N0}")}; server RSS {rssKib:N0} KiB\n"));

    /// <summary>The resident set size of a process in KiB (Linux), or -1.</summary>
    public static long RssKib(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // not Linux, or the process is gone
        }
        return -1;
    }
}
