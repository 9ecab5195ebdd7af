using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Tests.Server;

namespace Backend.Tests.Runtime;

/// <summary>The runtime's timing tests run alone, after the parallel ones: a 2 s bound on 2 cores means nothing while
/// forty other servers start.</summary>
[CollectionDefinition(nameof(ProcessRuntimeCollection), DisableParallelization = true)]
public sealed class ProcessRuntimeCollection;

/// <summary>The process runtime against real processes (issue 12): <c>-web</c> workers sharing the port, a worker
/// killed under load, the monitor's restarts of a crashing process and its orphans, rolling restarts under load
/// (SIGHUP through <c>bkcs restart</c>, and <c>/system/restart</c>), the daemon and <c>bkcs stop</c>.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class ProcessRuntimeTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    private static string[] Web(int workers, params string[] more) =>
        ["-web", "-server-max-workers", workers.ToString(CultureInfo.InvariantCulture), "-api-allow-path", "^/ping$", "-log", "info", .. more];

    private static List<int> Workers(int serverPid) => [.. ProcessTree.Children(serverPid).Where(p => ProcessTree.Name(p) == "bkcs: web")];

    private static async Task<BackendServer> StartWeb(int workers, params string[] more)
    {
        var server = await BackendServer.StartAsync(Web(workers, more));
        if (!await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), Start))
            Assert.Fail("the Web server did not say it serves:\n" + server.Output);
        return server;
    }

    [Fact]
    public async Task Web_workers_share_the_port_and_ps_shows_each_role()
    {
        await using var server = await StartWeb(2, "-master");
        Assert.Equal("bkcs: server", ProcessTree.Name(server.ProcessId));
        var children = ProcessTree.Children(server.ProcessId);
        Assert.Equal(["bkcs: master", "bkcs: web", "bkcs: web"], children.Select(ProcessTree.Name).Order(StringComparer.Ordinal).ToList());
        // Both workers listen on the one port (SO_REUSEPORT); the parent holds it without listening.
        var workers = Workers(server.ProcessId);
        Assert.All(workers, w => Assert.True(ProcessTree.Listens(w, server.Port), $"worker {w} does not listen on {server.Port}"));
        Assert.False(ProcessTree.Listens(server.ProcessId, server.Port));
        var master = children.Single(c => ProcessTree.Name(c) == "bkcs: master");
        Assert.False(ProcessTree.Listens(master, server.Port), "the master serves no HTTP");
        using var client = server.Client();
        for (var i = 0; i < 20; i++) ApiAssert.Ok(await client.Get("/ping"));
        Assert.Equal(server.ProcessId.ToString(CultureInfo.InvariantCulture), (await File.ReadAllTextAsync(Path.Combine(server.Home, "var", "bkcs.pid"), TestContext.Current.CancellationToken)).Trim());
    }

    [Fact]
    public async Task A_worker_killed_under_load_is_replaced_within_2_s_and_the_others_keep_serving()
    {
        await using var server = await StartWeb(2);
        var before = Workers(server.ProcessId);
        Assert.Equal(2, before.Count);
        await using var load = new HttpLoad(server.BaseAddress, "/ping", 8);
        Assert.True(await ProcessTree.WaitUntil(() => load.Ok > 200, TimeSpan.FromSeconds(20)), "no load");

        var victim = before[0];
        var killed = Stopwatch.StartNew();
        Process.GetProcessById(victim).Kill();
        var okAtKill = load.Ok;
        // A replacement listens on the port within 2 s.
        var replaced = await ProcessTree.WaitUntil(() => Workers(server.ProcessId).Any(w => !before.Contains(w) && ProcessTree.Listens(w, server.Port)), TimeSpan.FromSeconds(2));
        var took = killed.Elapsed;
        Assert.True(replaced, $"no new worker listened within 2 s; output:\n{server.Output}");
        // The other worker kept serving meanwhile.
        Assert.True(load.Ok > okAtKill + 100, $"only {load.Ok - okAtKill} requests succeeded in the {took.TotalMilliseconds:0} ms after the kill");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await load.StopAsync();
        // Only requests in flight on the killed worker's connections can fail: at most one per connection.
        Assert.True(load.Failures.Count <= 8, $"{load.Failures.Count} failures: {string.Join("; ", load.Failures.Take(5).Select(f => f.Reason))}");
        Assert.Contains($"web-1 (pid {victim}) exited with code 137 (signal 9)", server.Output.Replace($"web-2 (pid {victim})", $"web-1 (pid {victim})", StringComparison.Ordinal), StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"worker replaced in {took.TotalMilliseconds:0} ms; {load.Failures.Count} failed requests (in flight on the killed worker)");
    }

    [Fact]
    public async Task A_process_that_keeps_crashing_is_restarted_with_growing_delays_and_recovers()
    {
        // The port is taken by someone else: the Web server cannot start, exits 1, and the monitor tries again later
        // each time; once the port is free it serves.
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var home = BackendServer.CreateHome();
        try
        {
            await using var monitor = new BkcsProcess(["run", "-monitor", "-home", home, "-port", port.ToString(CultureInfo.InvariantCulture), "-server-max-workers", "1",
                "-server-restart-delay", "300", "-server-crash-delay", "20000", "-api-allow-path", "^/ping$", .. BackendServer.PoolArgs]);
            await monitor.WaitForOutput("crash 4 in a row, starting it again in 1.2 s", TimeSpan.FromSeconds(60));
            var output = monitor.Output;
            Assert.Contains("exited with code 1 after", output, StringComparison.Ordinal);
            Assert.Contains("crash 2 in a row, starting it again in 0.3 s", output, StringComparison.Ordinal);
            Assert.Contains("crash 3 in a row, starting it again in 0.6 s", output, StringComparison.Ordinal);
            Assert.Contains("address already in use", output, StringComparison.OrdinalIgnoreCase);
            // Never spun: 4 starts at most in this time (one immediate, then 0.3, 0.6, 1.2 s apart).
            Assert.InRange(monitor.Count("started server"), 4, 5);

            squatter.Stop();
            await monitor.WaitForOutput("serving http://", TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ping", TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task The_monitor_killed_outright_leaves_no_process_behind()
    {
        var home = BackendServer.CreateHome();
        try
        {
            var port = BackendServer.FreePort();
            await using var monitor = new BkcsProcess(["run", "-monitor", "-master", "-home", home, "-port", port.ToString(CultureInfo.InvariantCulture), "-server-max-workers", "2",
                "-api-allow-path", "^/ping$", .. BackendServer.PoolArgs]);
            await monitor.WaitForOutput("serving http://", Start);
            var tree = ProcessTree.Descendants(monitor.Pid);
            Assert.Equal(["bkcs: master", "bkcs: server", "bkcs: web", "bkcs: web"], tree.Select(ProcessTree.Name).Order(StringComparer.Ordinal).ToList());
            Assert.Equal("bkcs: monitor", ProcessTree.Name(monitor.Pid));

            Process.GetProcessById(monitor.Pid).Kill(); // SIGKILL: no chance to stop anything itself
            var gone = await ProcessTree.WaitUntil(() => tree.All(p => !ProcessTree.IsAlive(p)), TimeSpan.FromSeconds(15), 50);
            Assert.True(gone, "left behind: " + string.Join(", ", tree.Where(ProcessTree.IsAlive).Select(p => $"{p} {ProcessTree.Name(p)}")));
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task A_rolling_restart_under_load_fails_no_request()
    {
        await using var server = await StartWeb(2);
        var before = Workers(server.ProcessId);
        await using var load = new HttpLoad(server.BaseAddress, "/ping", 16);
        Assert.True(await ProcessTree.WaitUntil(() => load.Ok > 500, TimeSpan.FromSeconds(20)), "no load");
        var okBefore = load.Ok;

        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["restart", "-home", server.Home]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"pid {server.ProcessId}", stdout, StringComparison.Ordinal);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("the Web workers were restarted", StringComparison.Ordinal), TimeSpan.FromSeconds(90)),
            "the restart did not finish:\n" + server.Output);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await load.StopAsync();

        var after = Workers(server.ProcessId);
        Assert.Equal(2, after.Count);
        Assert.Empty(after.Intersect(before));
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed: {string.Join("; ", load.Failures.Take(5).Select(f => f.Reason))}");
        Assert.True(load.Ok - okBefore > 1000, $"only {load.Ok - okBefore} requests during the restart");
        Assert.Contains("restarting the Web workers one at a time (SIGHUP)", server.Output, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"rolling restart under load: {load.Ok} ok, 0 failed, p99 {load.Percentile(0.99):0.0} ms, max {load.Percentile(1):0.0} ms");
    }

    [Fact]
    public async Task System_restart_is_for_admins_and_restarts_every_worker()
    {
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(Web(2), home, ownsHome: true);
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), Start), server.Output);
        var before = Workers(server.ProcessId);

        var user = await Accounts.Add(server, null);
        using (var client = server.Client(user)) ApiAssert.Error(await client.Get("/system/restart"), 403);
        using (var anonymous = server.Client()) ApiAssert.Error(await anonymous.Get("/system/restart"), 400, "Invalid request: no login provided");
        Assert.DoesNotContain("restarting the Web workers", server.Output, StringComparison.Ordinal);

        // The restart picks up the configuration as it is now: the location module turned off in etc/config.
        using (var client = server.Client(user)) Assert.NotEqual(404, (await client.Get("/location/get", ("latitude", "1"), ("longitude", "1"))).Status);
        await File.WriteAllTextAsync(Path.Combine(home, "etc", "config"), "api-disable=location\n", TestContext.Current.CancellationToken);

        using (var client = server.Client(admin)) ApiAssert.Ok(await client.Get("/system/restart"));
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("the Web workers were restarted", StringComparison.Ordinal), TimeSpan.FromSeconds(90)), server.Output);
        Assert.Contains("restarting the Web workers one at a time (a request to /system/restart", server.Output, StringComparison.Ordinal);
        Assert.Empty(Workers(server.ProcessId).Intersect(before));
        using (var client = server.Client(user)) Assert.Equal(404, (await client.Get("/location/get", ("latitude", "1"), ("longitude", "1"))).Status);
    }

    [Fact]
    public async Task A_rolling_restart_closes_websockets_with_1012_and_answers_long_polls_at_once()
    {
        await using var server = await StartWeb(2, "-api-subscribe-timeout", "120000", "-api-subscribe-interval", "0");
        var user = await Accounts.Add(server, null);
        using var ws = await WsClient.Connect(server.Port);
        await ws.Send("/ping");
        await ws.Receive();
        using var client = server.Client(user);
        var poll = client.Get("/account/subscribe");
        await Task.Delay(300, TestContext.Current.CancellationToken); // the poll is waiting on its worker
        Assert.False(poll.IsCompleted);

        var restarted = Stopwatch.StartNew();
        Assert.True(Backend.Runtime.Posix.Kill(server.ProcessId, Backend.Runtime.Posix.SIGHUP));
        // The socket's worker drains: 1012 (service restart), so the client knows to reconnect.
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)1012, await ws.ReceiveClose());
        // The long poll is answered with what it has (nothing) long before its 120 s timeout.
        var reply = await poll.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        ApiAssert.Ok(reply);
        Assert.Equal("[]", reply.Body.Trim());
        Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(60));
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("the Web workers were restarted", StringComparison.Ordinal), TimeSpan.FromSeconds(90)), server.Output);
        // A new socket works on the new workers.
        using var again = await WsClient.Connect(server.Port);
        await again.Send("/ping");
        await again.Receive();
    }

    [Fact]
    public async Task System_restart_on_a_single_process_server_is_409()
    {
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(["-api-allow-path", "^/ping$"], home, ownsHome: true);
        using var client = server.Client(admin);
        var r = await client.Get("/system/restart");
        ApiAssert.Error(r, 409);
        Assert.Contains("-web", r.Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_server_detaches_writes_its_pid_and_log_and_bkcs_stop_ends_it()
    {
        var home = BackendServer.CreateHome();
        var port = BackendServer.FreePort().ToString(CultureInfo.InvariantCulture);
        int? pid = null;
        try
        {
            // -syslog off: this machine has no /dev/log (SyslogTests covers the socket).
            string[] args = ["run-server", "-home", home, "-port", port, "-syslog", "false", "-server-max-workers", "1", "-api-allow-path", "^/ping$", .. BackendServer.PoolArgs];
            var (code, stdout, stderr) = await BackendServer.RunCommandAsync(args, TimeSpan.FromSeconds(90));
            Assert.True(code == 0, stderr);
            Assert.Contains("running in the background, pid", stdout, StringComparison.Ordinal);
            var pidFile = Path.Combine(home, "var", "bkcs.pid");
            pid = int.Parse((await File.ReadAllTextAsync(pidFile, TestContext.Current.CancellationToken)).Trim(), CultureInfo.InvariantCulture);
            Assert.Equal("bkcs: monitor", ProcessTree.Name(pid.Value));
            // Detached: the process that started it has exited, so the monitor is not a child of the test.
            Assert.NotEqual(Environment.ProcessId, ProcessTree.ParentOf(pid.Value));
            var log = Path.Combine(home, "log", "message.log");
            Assert.True(await ProcessTree.WaitUntil(() => File.Exists(log) && File.ReadAllText(log).Contains("serving http://", StringComparison.Ordinal), Start), "log: " + (File.Exists(log) ? File.ReadAllText(log) : "none"));
            Assert.True(File.Exists(Path.Combine(home, "log", "error.log")));
            using (var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ping", TestContext.Current.CancellationToken)).StatusCode);

            // A second one on the same home is refused.
            var second = await BackendServer.RunCommandAsync(args, TimeSpan.FromSeconds(60));
            Assert.Equal(2, second.ExitCode);
            Assert.Contains($"already running (pid {pid},", second.Stderr, StringComparison.Ordinal);

            var tree = ProcessTree.Descendants(pid.Value);
            var stop = await BackendServer.RunCommandAsync(["stop", "-home", home], TimeSpan.FromSeconds(120));
            Assert.True(stop.ExitCode == 0, stop.Stderr);
            Assert.Contains($"stopped pid {pid}", stop.Stdout, StringComparison.Ordinal);
            Assert.False(ProcessTree.IsAlive(pid.Value));
            Assert.True(await ProcessTree.WaitUntil(() => tree.All(p => !ProcessTree.IsAlive(p)), TimeSpan.FromSeconds(10)));
            Assert.False(File.Exists(pidFile), "the pid file is removed at a clean exit");
            Assert.Contains("stopping", await File.ReadAllTextAsync(log, TestContext.Current.CancellationToken), StringComparison.Ordinal);

            var again = await BackendServer.RunCommandAsync(["stop", "-home", home]);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("no server of", again.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (pid is { } p && ProcessTree.IsAlive(p))
            {
                foreach (var d in ProcessTree.Descendants(p).Append(p))
                {
                    try
                    {
                        Process.GetProcessById(d).Kill();
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                    {
                        // gone
                    }
                }
            }
            BackendServer.DeleteHome(home);
        }
    }
}
