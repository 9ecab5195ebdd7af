using System.Globalization;
using Backend.Tests.Server;

namespace Backend.Tests.Runtime;

/// <summary>The access log of <c>-web</c>: on by default (log/access.log), every worker appends to the one file, and
/// under load no line is torn or lost (O_APPEND, one write of whole lines per batch).</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class AccessLogWorkersTests
{
    [Fact]
    public async Task Two_workers_append_whole_lines_to_one_file_under_load()
    {
        await using var server = await BackendServer.StartAsync(["-web", "-server-max-workers", "2", "-api-allow-path", "^/ping$", "-log", "info"]);
        if (!await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
            Assert.Fail("the Web server did not say it serves:\n" + server.Output);
        var workers = ProcessTree.Children(server.ProcessId).Where(p => ProcessTree.Name(p) == "bkcs: web").ToList();
        Assert.Equal(2, workers.Count);

        const int Connections = 16;
        long ok;
        await using (var load = new HttpLoad(server.BaseAddress, "/ping", Connections))
        {
            await ProcessTree.WaitUntil(() => load.Ok >= 4000, TimeSpan.FromSeconds(20));
            await load.StopAsync();
            ok = load.Ok;
            Assert.Empty(load.Failures);
        }
        Assert.True(ok >= 500, $"only {ok} requests in 20 s");

        var path = Path.Combine(server.Home, "log", "access.log");
        Assert.True(await ProcessTree.WaitUntil(() => AccessLogLine.ReadAll(path).Count >= ok, TimeSpan.FromSeconds(15), 200),
            $"{AccessLogLine.ReadAll(path).Count} lines for {ok} requests");
        // Every line parses (ReadAll), none is lost; requests the load cancelled when it stopped may be there too.
        var lines = AccessLogLine.ReadAll(path);
        Assert.All(lines, l => Assert.Equal(("GET /ping HTTP/1.1", 200), (l.Request, l.Status)));
        Assert.InRange(lines.Count, ok, ok + Connections);
        // Both workers wrote to it: each holds it open, and its descriptor's position moved (it moves with its own
        // writes only).
        foreach (var worker in workers)
        {
            var position = WritePosition(worker, path);
            Assert.True(position > 0, $"worker {worker} has {path} open at position {position}");
        }
        TestContext.Current.SendDiagnosticMessage($"{ok} requests, {lines.Count} lines from 2 workers");
    }

    // The position of the worker's descriptor of the file (/proc/PID/fdinfo), -1 when it has none.
    private static long WritePosition(int pid, string path)
    {
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            if (new FileInfo(fd).LinkTarget != path) continue;
            var info = File.ReadAllLines($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}");
            return long.Parse(info.First(l => l.StartsWith("pos:", StringComparison.Ordinal))[4..].Trim(), CultureInfo.InvariantCulture);
        }
        return -1;
    }
}
