using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Tests.Server;

namespace Backend.Tests.Runtime;

/// <summary>The log watcher in a real <c>bkcs run -monitor</c>: the Web server cannot start (its port is taken), so the
/// monitor logs its exits as errors to -log-file and the server's message goes to -err-file; the watcher reports them
/// to an HTTP receiver, interval after interval and across a restart of the monitor, never a line twice.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class LogWatcherProcessTests
{
    [Fact]
    public async Task The_monitor_reports_the_errors_of_its_log_files_to_the_logwatcher_url_once()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var home = BackendServer.CreateHome();
        string[] args = ["run", "-monitor", "-home", home, "-port", port, "-server-max-workers", "1", "-server-restart-delay", "300", "-server-crash-delay", "2000",
            "-log-file", "log/message.log", "-err-file", "log/error.log", "-logwatcher-url", receiver.Url, "-logwatcher-interval", "0.02", .. BackendServer.PoolArgs];
        var log = Path.Combine(home, "log", "message.log");
        var err = Path.Combine(home, "log", "error.log");
        try
        {
            await using (var monitor = new BkcsProcess(args))
            {
                if (!await ProcessTree.WaitUntil(() => receiver.Reports.Count >= 2, TimeSpan.FromSeconds(60), 100))
                    Assert.Fail($"fewer than 2 reports; log:\n{Read(log)}\nerrors:\n{Read(err)}\noutput:\n{monitor.Output}");
            }
            var before = receiver.Reports.Count;
            var lines = AllLines(receiver);
            Assert.Contains(lines, l => l.Contains(" fail: Backend.Monitor[0] server (pid ", StringComparison.Ordinal) && l.Contains("exited with code 1", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains($"-port {port}: Address already in use", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(" info: ", StringComparison.Ordinal));
            var files = receiver.Reports.SelectMany(r => r.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("file").GetString())).Distinct().Order(StringComparer.Ordinal);
            Assert.Equal([err, log], files);
            Assert.Contains("log watcher: scanning", Read(log), StringComparison.Ordinal);

            // The monitor killed outright and started again on the same home: it goes on from var/logwatcher.json.
            await using (var monitor = new BkcsProcess(args))
            {
                if (!await ProcessTree.WaitUntil(() => receiver.Reports.Count >= before + 1, TimeSpan.FromSeconds(60), 100))
                    Assert.Fail($"no report after the restart; output:\n{monitor.Output}");
            }
            // The error file repeats one message word for word; the log's lines carry their time and pid.
            lines = LinesOf(receiver, log);
            Assert.Contains(lines, l => l.Contains("exited with code 1", StringComparison.Ordinal));
            var twice = lines.GroupBy(l => l, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, "sent twice:\n" + string.Join('\n', twice));
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    private static List<string> AllLines(ReportReceiver receiver) =>
        [.. Enumerable.Range(0, receiver.Reports.Count).SelectMany(receiver.Lines)];

    private static List<string> LinesOf(ReportReceiver receiver, string file) =>
        [.. receiver.Reports.SelectMany(r => r.GetProperty("files").EnumerateArray())
            .Where(f => f.GetProperty("file").GetString() == file)
            .SelectMany(f => f.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!))];

    private static string Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "(none)";
        }
    }
}
