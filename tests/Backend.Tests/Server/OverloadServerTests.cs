using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Tests.Runtime;

namespace Backend.Tests.Server;

/// <summary>The busy check on a real server (issue 13 point 4): the test app's <c>/test/block</c> holds a thread-pool
/// thread as a handler doing synchronous I/O would; a flood of them makes new work wait for a thread. Runs alone: its
/// bounds are times.</summary>
[Collection(nameof(ProcessRuntimeCollection))]
public sealed class BusyServerTests(ITestOutputHelper output)
{
    private const int BusyLatencyMs = 200;
    private const int BlockMs = 250;
    private const int Flooders = 64;
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(8);

    /// <summary>The resident memory of a process, from /proc/PID/status.</summary>
    private static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException("no VmRSS");
    }

    private static double Ms(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    [Fact]
    public async Task A_flood_of_slow_requests_gets_fast_503s_memory_stays_bounded_and_it_serves_again_right_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var home = BackendServer.CreateHome();
        var admin = await AdminServerFixture.MakeAdmin(home);
        await using var server = await BackendServer.StartAsync(
            ["-api-allow-path", "^/test/,^/ping$", "-api-busy-latency", $"{BusyLatencyMs}", "-log", "warn"], home, ownsHome: true, program: BackendServer.TestAppDll);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 20; i++)
        {
            using var warm = await client.GetAsync("/test/block?ms=1", ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        var rssBefore = RssBytes(server.ProcessId);

        // The flood: keep-alive loops, each sending the next slow request when the last is answered (after a 503, 20 ms
        // later, as a client that retries soon would).
        var answers = new ConcurrentQueue<(int Status, double Ms, string Body)>();
        var errors = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        using var flood = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Flooders, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var loops = Enumerable.Range(0, Flooders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var r = await flood.GetAsync($"/test/block?ms={BlockMs}", stop.Token);
                    var body = await r.Content.ReadAsStringAsync(stop.Token);
                    answers.Enqueue(((int)r.StatusCode, Ms(started), body));
                    if (r.StatusCode == HttpStatusCode.ServiceUnavailable) await Task.Delay(20, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException ex)
                {
                    errors.Enqueue(ex.Message);
                }
            }
        }, CancellationToken.None)).ToList();

        // Meanwhile new requests, each on a new connection, timed; and the server's memory.
        var fresh = new List<(int Status, double Ms)>();
        var rssPeak = rssBefore;
        var floodStarted = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(floodStarted) < FloodTime)
        {
            using (var once = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
            {
                var started = Stopwatch.GetTimestamp();
                using var r = await once.GetAsync("/ping", ct);
                fresh.Add(((int)r.StatusCode, Ms(started)));
            }
            rssPeak = Math.Max(rssPeak, RssBytes(server.ProcessId));
            await Task.Delay(100, ct);
        }
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        var floodEnded = Stopwatch.GetTimestamp();

        // It serves normally again: ten blocking requests in a row answered 200, each in under a second.
        var inARow = 0;
        var recovered = TimeSpan.Zero;
        while (inARow < 10)
        {
            Assert.True(Stopwatch.GetElapsedTime(floodEnded) < TimeSpan.FromSeconds(30), "not serving 30 s after the flood");
            var started = Stopwatch.GetTimestamp();
            using var r = await client.GetAsync("/test/block?ms=1", ct);
            if (r.StatusCode == HttpStatusCode.OK && Ms(started) < 1000)
            {
                if (inARow++ == 0) recovered = Stopwatch.GetElapsedTime(floodEnded);
            }
            else
            {
                inARow = 0;
                await Task.Delay(50, ct);
            }
        }
        await Task.Delay(1000, ct);
        var rssAfter = RssBytes(server.ProcessId);

        using var adminClient = server.Client(admin);
        var stats = await adminClient.Get("/system/stats/get");
        ApiAssert.Ok(stats);
        var busy = stats.Json!["busy"]!.GetValue<long>();

        var all = answers.ToList();
        var refused = all.Where(a => a.Status == 503).ToList();
        var served = all.Where(a => a.Status == 200).ToList();
        var freshRefused = fresh.Where(f => f.Status == 503).Select(f => f.Ms).ToList();
        var refusedMs = refused.Select(a => a.Ms).Concat(freshRefused).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flood {FloodTime.TotalSeconds} s, {Flooders} clients of /test/block?ms={BlockMs}, -api-busy-latency {BusyLatencyMs}: {served.Count} served (p50 {Percentile(served.Select(a => a.Ms), 0.5):F0} ms), {refused.Count} refused 503; other answers {all.Count(a => a.Status is not (200 or 503))}, errors {errors.Count}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"503 latency: p50 {Percentile(refusedMs, 0.5):F0} ms, p90 {Percentile(refusedMs, 0.9):F0} ms, p99 {Percentile(refusedMs, 0.99):F0} ms, max {refusedMs.DefaultIfEmpty().Max():F0} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"new connections to /ping: {fresh.Count}, {freshRefused.Count} refused; latency p50 {Percentile(fresh.Select(f => f.Ms), 0.5):F0} ms, max {fresh.Select(f => f.Ms).DefaultIfEmpty().Max():F0} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS before {rssBefore / 1048576.0:F1} MiB, peak {rssPeak / 1048576.0:F1} MiB, after {rssAfter / 1048576.0:F1} MiB; serving again {recovered.TotalMilliseconds:F0} ms after the flood; busy {busy}"));

        Assert.Empty(errors);
        Assert.All(all, a => Assert.True(a.Status is 200 or 503, $"unexpected {a.Status}: {a.Body}"));
        // The flood was refused, in the JSON error shape, fast.
        Assert.True(refused.Count > 100, $"only {refused.Count} refused");
        Assert.All(refused.Take(50), a =>
        {
            var body = JsonNode.Parse(a.Body)!;
            Assert.Equal(503, body["status"]!.GetValue<int>());
            Assert.Equal("Server is too busy", body["message"]!.GetValue<string>());
        });
        Assert.True(Percentile(refusedMs, 0.5) < 500, "503s are not fast");
        Assert.True(Percentile(refusedMs, 0.9) < 1000, "503s are not fast");
        // Requests still got served during the flood (the check refuses new work, not the server).
        Assert.NotEmpty(served);
        // busy counts them all (and the refusals whose answers the stopped loops no longer read).
        Assert.True(busy >= refused.Count + freshRefused.Count, $"busy {busy} < {refused.Count + freshRefused.Count} refusals seen");
        // Memory stays bounded: refusals queue nothing.
        Assert.True(rssPeak - rssBefore < 200L * 1024 * 1024, $"RSS grew by {(rssPeak - rssBefore) / 1048576} MiB");
        Assert.True(recovered < TimeSpan.FromSeconds(5), $"serving again only {recovered.TotalSeconds:F1} s after the flood");
    }
}

/// <summary>Request rates by client address and by account (<c>-api-rlimits-*</c>), on ASP.NET Core's rate limiter:
/// 429 in the JSON shape with Retry-After, buckets per path rule, other paths and clients unaffected.</summary>
public sealed class RateLimitServerTests
{
    private static async Task<List<ApiResponse>> Burst(BackendClient client, string path, int count)
    {
        var list = new List<ApiResponse>();
        for (var i = 0; i < count; i++) list.Add(await client.Get(path));
        return list;
    }

    private static void AssertLimited(List<ApiResponse> answers, int burst, string what)
    {
        var limited = answers.Where(a => a.Status == 429).ToList();
        // At most the burst and what refilled meanwhile (1 a second) got through; the rest is 429.
        Assert.True(answers.Count - limited.Count <= burst + 2, $"{what}: only {limited.Count} of {answers.Count} refused");
        Assert.True(answers.Take(burst).All(a => a.Status != 429), $"{what}: refused within the burst: {string.Join(", ", answers.Select(a => a.Status))}");
        foreach (var a in limited)
        {
            ApiAssert.Error(a, 429, "Too many requests");
            Assert.True(a.RetryAfter is >= 1, $"{what}: Retry-After {a.RetryAfter}");
        }
    }

    [Fact]
    public async Task By_address_a_client_over_its_rate_gets_429_and_path_rules_have_buckets_of_their_own()
    {
        await using var server = await BackendServer.StartAsync(
            ["-api-rlimits-ip-rate", "1", "-api-rlimits-ip-max", "3", "-api-rlimits-ip-path", "^/account/add$=1/1,^/ping$=0", "-api-allow-path", "^/ping$"]);
        using var client = server.Client();
        // Every other path: a burst of 3 (these answer 400, no signature: the limit is checked before the gate).
        var other = await Burst(client, "/account/get", 10);
        AssertLimited(other, 3, "/account/get");
        Assert.All(other.Where(a => a.Status != 429), a => Assert.Equal(400, a.Status));
        // /account/add has a bucket of its own, of 1, untouched by the requests above.
        var add = await Burst(client, "/account/add", 6);
        AssertLimited(add, 1, "/account/add");
        // /ping is exempt.
        Assert.All(await Burst(client, "/ping", 20), a => Assert.Equal(200, a.Status));
        // A second later a token is back.
        await Task.Delay(1100, TestContext.Current.CancellationToken);
        Assert.Equal(400, (await client.Get("/account/get")).Status);
    }

    [Fact]
    public async Task By_account_an_account_over_its_rate_gets_429_others_and_anonymous_requests_do_not()
    {
        await using var server = await BackendServer.StartAsync(
            ["-api-rlimits-id-rate", "1", "-api-rlimits-id-max", "3", "-api-rlimits-id-path", "^/account/get$=0", "-api-allow-path", "^/ping$"]);
        var first = await Accounts.Add(server, null);
        var second = await Accounts.Add(server, null);
        using var one = server.Client(first);
        using var two = server.Client(second);
        var counted = await Burst(one, "/counter/get", 10);
        AssertLimited(counted, 3, "first account");
        Assert.All(counted.Where(a => a.Status != 429), a => Assert.Equal(200, a.Status));
        // Exempt path: the same account, its bucket empty.
        Assert.All(await Burst(one, "/account/get", 5), a => Assert.Equal(200, a.Status));
        // Another account has its own bucket.
        Assert.Equal(200, (await two.Get("/counter/get")).Status);
        // Anonymous requests have no account: not limited by account.
        using var anonymous = server.Client();
        Assert.All(await Burst(anonymous, "/ping", 10), a => Assert.Equal(200, a.Status));
    }

    [Fact]
    public async Task A_bad_rate_rule_stops_the_start_with_one_line()
    {
        var (code, _, stderr) = await BackendServer.RunCommandAsync(["run", "-home", BackendServer.CreateHome(), "-api-rlimits-id-path", "^/x=fast"]);
        Assert.Equal(2, code);
        Assert.Contains("invalid value for -api-rlimits-id-path: \"^/x=fast\" is not REGEX=RATE or REGEX=RATE/MAX", stderr, StringComparison.Ordinal);
    }
}

/// <summary>Kestrel's connection limits as parameters (<c>-api-max-connections</c>, <c>-timeout</c>,
/// <c>-ws-max-connections</c>).</summary>
public sealed class ConnectionLimitServerTests
{
    private static async Task<TcpClient> Connect(BackendServer server)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port, TestContext.Current.CancellationToken);
        return tcp;
    }

    /// <summary>Sends a keep-alive GET /ping and reads the answer's head; null when the connection was closed.</summary>
    private static async Task<string?> Ping(TcpClient tcp)
    {
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
            return await ReadHead(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<string?> ReadHead(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0) return text.Length == 0 ? null : text.ToString();
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    /// <summary>True once the server closed the connection (a read returns 0 or fails) within <paramref name="limit"/>.</summary>
    private static async Task<bool> ClosedWithin(TcpClient tcp, TimeSpan limit)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit);
        try
        {
            return await tcp.GetStream().ReadAsync(new byte[1], cts.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [Fact]
    public async Task Connections_over_the_limit_are_closed_and_idle_ones_end_after_the_timeout()
    {
        await using var server = await BackendServer.StartAsync(["-api-max-connections", "2", "-timeout", "3000", "-api-allow-path", "^/ping$"]);
        // (The start-up check's connection may hold a place for a moment.)
        using var a = await Served(server);
        using var b = await Served(server);
        var opened = Stopwatch.GetTimestamp();
        // A third: accepted by the kernel, closed by the server without an answer.
        using (var c = await Connect(server))
        {
            Assert.Null(await Ping(c));
        }
        Assert.True(Stopwatch.GetElapsedTime(opened) < TimeSpan.FromSeconds(3), "too slow to tell: the two may have timed out");
        // The two idle ones are closed after -timeout (3 s), which frees their places.
        Assert.True(await ClosedWithin(a, TimeSpan.FromSeconds(15)), "idle keep-alive connection still open");
        Assert.True(await ClosedWithin(b, TimeSpan.FromSeconds(15)), "idle keep-alive connection still open");
        Assert.True(Stopwatch.GetElapsedTime(opened) > TimeSpan.FromSeconds(2.5), "closed before -timeout");
        using var d = await Served(server);
    }

    /// <summary>A connection that got a 200 for /ping (tried again for a while when the server closes it).</summary>
    private static async Task<TcpClient> Served(BackendServer server)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        while (true)
        {
            var tcp = await Connect(server);
            if (await Ping(tcp) is { } head && head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)) return tcp;
            tcp.Dispose();
            Assert.True(Stopwatch.GetTimestamp() < deadline, "no connection served");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task WebSockets_over_the_limit_are_refused_with_503()
    {
        await using var server = await BackendServer.StartAsync(["-ws-max-connections", "1", "-api-allow-path", "^/ping$"]);
        using var first = await WsClient.Connect(server.Port);
        await first.Send("/ping");
        Assert.NotNull(await first.Receive());
        using var second = new ClientWebSocket();
        second.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/"), TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.HttpStatusCode);
        // Plain requests are not upgrades: served.
        using var client = server.Client();
        ApiAssert.Ok(await client.Get("/ping"));
    }
}
