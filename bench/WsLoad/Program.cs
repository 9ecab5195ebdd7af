// WebSocket vs HTTP keep-alive, same server, same run: signed GET /account/get.
// Starts `dotnet bkcs.dll run` on a free loopback port with a temporary home, adds the account bench/bench,
// then alternates timed rounds: N WebSocket clients (one socket each, up to -ws-max-inflight requests pipelined) and
// N HTTP/1.1 clients (one keep-alive connection each, one request at a time). Prints req/s of each and the ratio.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Backend.Security;

var opts = Options.Parse(args);
var home = Directory.CreateTempSubdirectory("bkcs-wsload-").FullName;
var port = FreePort();
var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var a in new[] { opts.Bkcs, "run", "-home", home, "-port", $"{port}", "-bind", "127.0.0.1", "-log", "warn", "-ws-max-inflight", $"{opts.Inflight}" }) psi.ArgumentList.Add(a);
using var server = Process.Start(psi)!;
server.OutputDataReceived += (_, _) => { };
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
try
{
    var baseUri = new Uri($"http://127.0.0.1:{port}");
    using (var setup = new HttpClient { BaseAddress = baseUri })
    {
        for (var i = 0; ; i++)
        {
            try
            {
                var r = await setup.GetAsync("/account/add?login=bench&secret=bench&name=Bench");
                if (r.IsSuccessStatusCode) break;
                throw new InvalidOperationException($"/account/add answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException) when (i < 300)
            {
                await Task.Delay(100);
            }
        }
    }
    var expires = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 86_400_000;
    var signature = RequestSignature.CreateHeader(1, "bench", "bench", SigningRequest.From("GET", baseUri.Authority, "/account/get", "", null, null, ""), expires);
    var message = Encoding.UTF8.GetBytes("/account/get?bk-signature=" + Uri.EscapeDataString(signature));

    Console.WriteLine($"server pid {server.Id}, port {port}; {opts.Clients} clients, ws in flight {opts.Inflight}, {opts.Seconds}s per round, {opts.Rounds} rounds, warm-up {opts.Warmup}s each");
    await Http(baseUri, signature, opts.Clients, opts.Warmup);
    await Ws(port, message, opts.Clients, opts.Inflight, opts.Warmup);
    var ws = new List<double>();
    var http = new List<double>();
    for (var round = 1; round <= opts.Rounds; round++)
    {
        var (s0, c0) = (CpuMs(server.Id), CpuMs(Environment.ProcessId));
        var w = await Ws(port, message, opts.Clients, opts.Inflight, opts.Seconds);
        var (s1, c1) = (CpuMs(server.Id), CpuMs(Environment.ProcessId));
        var h = await Http(baseUri, signature, opts.Clients, opts.Seconds);
        var (s2, c2) = (CpuMs(server.Id), CpuMs(Environment.ProcessId));
        ws.Add(w);
        http.Add(h);
        Console.WriteLine($"round {round}: websocket {w,10:F0} req/s   http {h,10:F0} req/s   ratio {w / h:F2}");
        // CPU per request (µs): where the 2 cores went.
        Console.WriteLine($"         cpu/request: websocket server {(s1 - s0) * 1000 / (w * opts.Seconds),5:F0} µs client {(c1 - c0) * 1000 / (w * opts.Seconds),5:F0} µs;"
            + $" http server {(s2 - s1) * 1000 / (h * opts.Seconds),5:F0} µs client {(c2 - c1) * 1000 / (h * opts.Seconds),5:F0} µs");
    }
    var wm = Median(ws);
    var hm = Median(http);
    Console.WriteLine($"median:  websocket {wm,10:F0} req/s   http {hm,10:F0} req/s   ratio {wm / hm:F2}");
}
finally
{
    if (!server.HasExited) server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync();
    try { Directory.Delete(home, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static double Median(List<double> v)
{
    var s = v.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

// utime + stime of a process, in ms (Linux /proc).
static double CpuMs(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) * 10.0;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    var p = ((IPEndPoint)l.LocalEndpoint).Port;
    l.Stop();
    return p;
}

// N HTTP/1.1 clients, one keep-alive connection each, a request at a time.
static async Task<double> Http(Uri baseUri, string signature, int clients, double seconds)
{
    var handlers = Enumerable.Range(0, clients).Select(_ => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false }) { BaseAddress = baseUri }).ToList();
    long count = 0;
    var sw = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(handlers.Select(async client =>
    {
        long mine = 0;
        while (sw.Elapsed < end)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/account/get");
            request.Headers.TryAddWithoutValidation("bk-signature", signature);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"http {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
            mine++;
        }
        Interlocked.Add(ref count, mine);
    }));
    var rate = count / sw.Elapsed.TotalSeconds;
    foreach (var h in handlers) h.Dispose();
    return rate;
}

// N WebSocket clients, one socket each, up to `inflight` requests outstanding per socket.
static async Task<double> Ws(int port, byte[] message, int clients, int inflight, double seconds)
{
    var sockets = new List<ClientWebSocket>();
    for (var i = 0; i < clients; i++)
    {
        var s = new ClientWebSocket();
        await s.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), CancellationToken.None);
        sockets.Add(s);
    }
    long count = 0;
    var sw = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(sockets.Select(async socket =>
    {
        using var slots = new SemaphoreSlim(inflight);
        long sent = 0, received = 0;
        var receiver = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close) return;
                if (!r.EndOfMessage) continue;
                if (buffer[0] != (byte)'{' || buffer.AsSpan(0, r.Count).IndexOf("\"status\""u8) >= 0)
                    throw new InvalidOperationException("ws error reply: " + Encoding.UTF8.GetString(buffer, 0, r.Count));
                if (Interlocked.Increment(ref received) == Volatile.Read(ref sent) && sw.Elapsed >= end) return;
                slots.Release();
            }
        });
        while (sw.Elapsed < end)
        {
            await slots.WaitAsync();
            Interlocked.Increment(ref sent);
            await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        // Wait for the replies of what was sent, then stop.
        while (Interlocked.Read(ref received) < Interlocked.Read(ref sent) && !receiver.IsCompleted) await Task.Delay(1);
        Interlocked.Add(ref count, Interlocked.Read(ref received));
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        try { await receiver; } catch (WebSocketException) { }
    }));
    var rate = count / sw.Elapsed.TotalSeconds;
    foreach (var s in sockets) s.Dispose();
    return rate;
}

internal sealed record Options(string Bkcs, int Clients, int Inflight, double Seconds, double Warmup, int Rounds)
{
    public static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var root = AppContext.BaseDirectory;
        var bkcs = Path.GetFullPath(Path.Combine(root, "../../../../../src/Backend.Cli/bin/Release/net10.0/bkcs.dll"));
        return new(Get("bkcs", bkcs), int.Parse(Get("clients", "32"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Get("inflight", "16"), System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(Get("seconds", "10"), System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(Get("warmup", "8"), System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Get("rounds", "3"), System.Globalization.CultureInfo.InvariantCulture));
    }
}
