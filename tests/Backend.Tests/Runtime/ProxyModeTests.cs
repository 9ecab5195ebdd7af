using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backend.Runtime;
using Backend.Tests.Server;
using Microsoft.AspNetCore.Http;

namespace Backend.Tests.Runtime;

/// <summary>The reverse-proxy mode of <c>-web</c> (<c>-proxy-port</c>, issue 12 point 2) against real processes: the
/// parent listens and forwards to each worker on its own loopback port (YARP), a worker killed under load, a rolling
/// restart under load, HTTPS ended in the parent with the scheme passed on, a separate WebSocket port, and a taken
/// worker port.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class ProxyModeTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<int> Workers(int serverPid) => [.. ProcessTree.Children(serverPid).Where(p => ProcessTree.Name(p) == "bkcs: web")];

    /// <summary>A first port with <paramref name="count"/> free ports from it.</summary>
    private static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20000, 40000);
            var sockets = new List<Socket>();
            try
            {
                for (var p = first; p < first + count; p++)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets.Add(s);
                    s.Bind(new IPEndPoint(IPAddress.Loopback, p));
                }
                return first;
            }
            catch (SocketException)
            {
                // taken: another range
            }
            finally
            {
                foreach (var s in sockets) s.Dispose();
            }
        }
        throw new InvalidOperationException("no free port range");
    }

    private static async Task<(BackendServer Server, int ProxyPort)> StartProxied(int workers, params string[] more)
    {
        var proxyPort = FreeRange(workers + 1);
        var server = await BackendServer.StartAsync(["-web", "-server-max-workers", workers.ToString(CultureInfo.InvariantCulture), "-proxy-port", proxyPort.ToString(CultureInfo.InvariantCulture),
            "-api-allow-path", "^/ping$", "-log", "info", .. more]);
        if (!await ProcessTree.WaitUntil(() => server.Output.Contains("serving http://", StringComparison.Ordinal), Start))
        {
            await server.DisposeAsync();
            Assert.Fail("the Web server did not say it serves");
        }
        return (server, proxyPort);
    }

    /// <summary>Established TCP connections whose local port is <paramref name="port"/> (a worker's side of the proxy's connections).</summary>
    private static int Established(int port)
    {
        var n = 0;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 4 || f[3] != "01") continue; // 01 = ESTABLISHED
                var local = f[1];
                if (int.Parse(local[(local.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port) n++;
            }
        }
        return n;
    }

    [Fact]
    public async Task The_parent_listens_and_balances_the_workers_on_their_own_loopback_ports()
    {
        var (server, proxyPort) = await StartProxied(2);
        await using var _ = server;
        Assert.Contains($"with 2 worker processes (reverse proxy to 127.0.0.1:{proxyPort}-{proxyPort + 2})", server.Output, StringComparison.Ordinal);
        Assert.True(ProcessTree.Listens(server.ProcessId, server.Port), "the parent does not listen on -port");
        var workers = Workers(server.ProcessId);
        Assert.Equal(2, workers.Count);
        foreach (var w in workers)
        {
            Assert.False(ProcessTree.Listens(w, server.Port), $"worker {w} listens on the public port");
            Assert.True(ProcessTree.Listens(w, proxyPort) || ProcessTree.Listens(w, proxyPort + 1), $"worker {w} listens on neither {proxyPort} nor {proxyPort + 1}");
        }

        // Signed requests pass through as sent (the Host the client signed included).
        var user = await Accounts.Add(server, null);
        using (var client = server.Client(user))
        {
            var got = await client.Get("/account/get");
            ApiAssert.Ok(got);
            Assert.Equal(user.Id, got.Str("id"));
            ApiAssert.Error(await client.Get("/account/get", new SignOptions { Secret = "wrong" }), 401);
        }

        // Under concurrent load both workers have the proxy's connections.
        await using var load = new HttpLoad(server.BaseAddress, "/ping", 8);
        Assert.True(await ProcessTree.WaitUntil(() => load.Ok > 500, TimeSpan.FromSeconds(30)), "no load");
        var spread = (Established(proxyPort), Established(proxyPort + 1));
        await load.StopAsync();
        Assert.True(spread.Item1 > 0 && spread.Item2 > 0, $"connections to the workers: {spread}");
        Assert.Empty(load.Failures);
    }

    [Fact]
    public async Task A_worker_killed_behind_the_proxy_is_replaced_on_its_port_within_2_s()
    {
        var (server, proxyPort) = await StartProxied(2);
        await using var _ = server;
        var before = Workers(server.ProcessId);
        await using var load = new HttpLoad(server.BaseAddress, "/ping", 8);
        Assert.True(await ProcessTree.WaitUntil(() => load.Ok > 200, TimeSpan.FromSeconds(30)), "no load");

        var victim = before[0];
        var port = ProcessTree.Listens(victim, proxyPort) ? proxyPort : proxyPort + 1;
        var killed = Stopwatch.StartNew();
        Process.GetProcessById(victim).Kill();
        var okAtKill = load.Ok;
        var replaced = await ProcessTree.WaitUntil(() => Workers(server.ProcessId).Any(w => !before.Contains(w) && ProcessTree.Listens(w, port)), TimeSpan.FromSeconds(2));
        var took = killed.Elapsed;
        Assert.True(replaced, $"no new worker listened on {port} within 2 s; output:\n{server.Output}");
        Assert.True(load.Ok > okAtKill + 100, $"only {load.Ok - okAtKill} requests succeeded in the {took.TotalMilliseconds:0} ms after the kill");
        await Task.Delay(500, Ct);
        await load.StopAsync();
        // Only the requests the killed worker had in hand can fail (502 from the proxy); a refused connection is retried.
        Assert.True(load.Failures.Count <= 8, $"{load.Failures.Count} failures: {string.Join("; ", load.Failures.Take(5).Select(f => f.Reason))}");
        Assert.All(load.Failures, f => Assert.Equal("status 502", f.Reason));
        TestContext.Current.SendDiagnosticMessage($"proxy mode: worker replaced in {took.TotalMilliseconds:0} ms; {load.Failures.Count} failed requests");
    }

    [Fact]
    public async Task A_rolling_restart_behind_the_proxy_fails_no_request()
    {
        // A long drain time: a worker that waited for the proxy's idle keep-alive connections would take a minute to
        // leave; the proxy closes its connections to a worker out of the rotation, so each leaves at once.
        var (server, proxyPort) = await StartProxied(2, "-server-drain-time", "60000");
        await using var _ = server;
        var before = Workers(server.ProcessId);
        await using var load = new HttpLoad(server.BaseAddress, "/ping", 16);
        Assert.True(await ProcessTree.WaitUntil(() => load.Ok > 500, TimeSpan.FromSeconds(30)), "no load");
        var okBefore = load.Ok;

        var restart = Stopwatch.StartNew();
        Assert.True(Posix.Kill(server.ProcessId, Posix.SIGHUP));
        Assert.True(await ProcessTree.WaitUntil(() => server.Output.Contains("the Web workers were restarted", StringComparison.Ordinal), TimeSpan.FromSeconds(50)),
            "the restart did not finish within 50 s (a drained worker waited for idle connections?):\n" + server.Output);
        var took = restart.Elapsed;
        await Task.Delay(500, Ct);
        await load.StopAsync();

        var after = Workers(server.ProcessId);
        Assert.Equal(2, after.Count);
        Assert.Empty(after.Intersect(before));
        // The replacements took the spare port in turn: the two of the three ports now in use.
        Assert.Equal(2, Enumerable.Range(proxyPort, 3).Count(p => after.Any(w => ProcessTree.Listens(w, p))));
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed: {string.Join("; ", load.Failures.Take(5).Select(f => f.Reason))}");
        Assert.True(load.Ok - okBefore > 500, $"only {load.Ok - okBefore} requests during the restart");
        TestContext.Current.SendDiagnosticMessage($"proxy mode rolling restart: {took.TotalSeconds:0.0} s, {load.Ok} ok, 0 failed, p99 {load.Percentile(0.99):0.0} ms");
    }

    [Fact]
    public async Task Https_ends_in_the_parent_and_the_workers_know_the_scheme_and_the_websocket_port()
    {
        var dir = Directory.CreateTempSubdirectory("bkcs-proxy-tls-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            var pfx = Path.Combine(dir, "server.pfx");
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12), Ct);
            var sslPort = BackendServer.FreePort();
            var wsPort = BackendServer.FreePort();
            var (server, _) = await StartProxied(2, "-ssl-port", $"{sslPort}", "-ssl-pfx", pfx, "-ws-port", $"{wsPort}");
            await using var __ = server;
            Assert.Contains($"https://127.0.0.1:{sslPort}", server.Output, StringComparison.Ordinal);
            var user = await Accounts.Add(server, null);

            // Over HTTPS the session cookie is Secure: the worker behind the proxy knows the client used https.
            using (var signed = new BackendClient(new Uri($"https://127.0.0.1:{sslPort}"), user,
                trust: (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString()))
            {
                var r = await signed.Get("/account/get", ("_session", "1"));
                ApiAssert.Ok(r);
                var cookie = Assert.Single(r.SetCookies);
                Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            }
            // Over HTTP it is not, even when the client claims https: the proxy sets X-Forwarded-Proto itself.
            using (var plain = server.Client(user))
            {
                plain.Headers["X-Forwarded-Proto"] = "https";
                var r = await plain.Get("/account/get", ("_session", "1"));
                ApiAssert.Ok(r);
                Assert.DoesNotContain("secure", Assert.Single(r.SetCookies), StringComparison.OrdinalIgnoreCase);
            }

            // The separate WebSocket port: upgrades work through the proxy, plain requests there are 426 as without it.
            using (var ws = await WsClient.Connect(wsPort))
            {
                await ws.Send("/ping");
                await ws.Receive();
            }
            using var onWsPort = new HttpClient();
            using var refused = await onWsPort.GetAsync($"http://127.0.0.1:{wsPort}/ping", Ct);
            Assert.Equal(426, (int)refused.StatusCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_taken_worker_port_is_one_clear_error_at_start()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var home = BackendServer.CreateHome();
        try
        {
            await using var bkcs = new BkcsProcess(["run", "-web", "-home", home, "-port", BackendServer.FreePort().ToString(CultureInfo.InvariantCulture), "-server-max-workers", "2",
                "-proxy-port", (taken - 1).ToString(CultureInfo.InvariantCulture), .. BackendServer.PoolArgs]);
            Assert.NotEqual(0, await bkcs.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            // The squatter's port; or the one below it, when another process on this busy machine took that one first
            // (seen in CI): either way one clear error naming the taken port.
            var named = System.Text.RegularExpressions.Regex.Match(bkcs.Output, @"-proxy-port: the worker port 127\.0\.0\.1:(\d+) is not free");
            Assert.True(named.Success, bkcs.Output);
            Assert.Contains(int.Parse(named.Groups[1].Value, CultureInfo.InvariantCulture), new[] { taken - 1, taken });
            Assert.DoesNotContain("started web-1", bkcs.Output, StringComparison.Ordinal);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public void The_rotation_picks_the_least_busy_worker_and_skips_one_that_refused()
    {
        var rotation = new ProxyRotation();
        Assert.Null(rotation.Pick());
        rotation.Set([9001, 9000]);
        var a = rotation.Current[0];
        var b = rotation.Current[1];
        Assert.Equal(9000, a.Port);
        a.InFlight = 3;
        for (var i = 0; i < 5; i++) Assert.Same(b, rotation.Pick());
        a.InFlight = 0;
        var picked = Enumerable.Range(0, 10).Select(_ => rotation.Pick()!.Port).ToHashSet();
        Assert.Equal([9000, 9001], picked.Order());
        ProxyRotation.MarkDown(b);
        for (var i = 0; i < 5; i++) Assert.Same(a, rotation.Pick());
        ProxyRotation.MarkDown(a);
        Assert.NotNull(rotation.Pick()); // every one down: still try one rather than refuse
        // A new snapshot keeps the counters of the ports it keeps.
        a.InFlight = 7;
        rotation.Set([9000, 9002]);
        Assert.Same(a, rotation.Current[0]);
        Assert.Equal(9002, rotation.Current[1].Port);
        // The port that left is retired: it takes no request, and its connections close once it has none in hand.
        Assert.True(b.Retired);
        Assert.False(b.TryEnter());
        Assert.False(a.Retired);
        Assert.True(a.TryEnter());
        a.Exit();
    }

    [Fact]
    public async Task A_worker_believes_forwarded_headers_from_loopback_only()
    {
        async Task<HttpContext> Run(string peer)
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            context.Connection.LocalPort = 9000;
            context.Request.Scheme = "http";
            context.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
            context.Request.Headers["X-Forwarded-Proto"] = "https";
            context.Request.Headers["X-Forwarded-Port"] = "8443";
            await new ProxiedRequest(_ => Task.CompletedTask).InvokeAsync(context);
            return context;
        }

        var proxied = await Run("127.0.0.1");
        Assert.Equal(IPAddress.Parse("203.0.113.7"), proxied.Connection.RemoteIpAddress);
        Assert.Equal("https", proxied.Request.Scheme);
        Assert.Equal(8443, proxied.Connection.LocalPort);
        var outside = await Run("198.51.100.1");
        Assert.Equal(IPAddress.Parse("198.51.100.1"), outside.Connection.RemoteIpAddress);
        Assert.Equal("http", outside.Request.Scheme);
        Assert.Equal(9000, outside.Connection.LocalPort);
    }
}
