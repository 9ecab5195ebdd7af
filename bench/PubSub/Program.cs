// Pub/sub between two processes, per transport: publish-to-delivery latency at a moderate rate, and the most messages
// per second. This process is the publisher; for each run it starts itself again as the subscriber (`sub` role), so
// publisher and subscriber are two OS processes, as two nodes of a cluster on one machine would be. Each builds its
// IPubSub the way bkcs does: BackendApplicationBuilder with AddRedis/AddRabbitMq/AddNetMq and -msg-type KIND, the
// IPubSub resolved from the application's services.
//
// A message is "PHASE|SEQ|TIMESTAMP|" padded to 64 characters; TIMESTAMP is Stopwatch.GetTimestamp() (CLOCK_MONOTONIC
// on Linux, one clock for every process of the machine), so the subscriber computes the latency itself. The
// subscriber is driven over its stdin (phase N, count, report) and answers on its stdout.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Hosting;
using Backend.NetMq;
using Backend.PubSub;
using Backend.RabbitMq;
using Backend.Redis;
using Microsoft.Extensions.DependencyInjection;

var inv = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "sub") return await Subscriber.Run(args[1], args[2..]);

var opts = Options.Parse(args);
Console.WriteLine($"pub/sub bench: kinds {string.Join(",", opts.Kinds)}, rounds {opts.Rounds}; latency: {opts.Rate} msg/s for {opts.Seconds} s;"
    + $" throughput: {opts.Window} publishes in flight for {opts.Seconds} s; redis {opts.Redis}, amqp {opts.Amqp}");
var results = new List<Result>();
for (var round = 1; round <= opts.Rounds; round++)
{
    foreach (var kind in opts.Kinds)
    {
        var r = await Publisher.Run(kind, round, opts);
        results.Add(r);
        Console.WriteLine(r.Line());
    }
}
Console.WriteLine();
Console.WriteLine("median over rounds:");
Console.WriteLine("| transport | latency p50 ms | p99 ms | max ms | lost at rate | max sent msg/s | delivered msg/s | lost at max | pub CPU µs/msg | sub CPU µs/msg |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var kind in opts.Kinds)
{
    var rs = results.Where(r => r.Kind == kind).ToList();
    double M(Func<Result, double> f) => Median(rs.Select(f).ToList());
    Console.WriteLine(string.Create(inv, $"| {kind} | {M(r => r.P50Us) / 1000:F2} | {M(r => r.P99Us) / 1000:F2} | {M(r => r.MaxUs) / 1000:F1} | {M(r => r.LostAtRate):F0} | {M(r => r.Sent):F0} | {M(r => r.Delivered):F0} | {M(r => r.LostAtMax):F0} | {M(r => r.PubCpuUs):F1} | {M(r => r.SubCpuUs):F1} |"));
}
return 0;

static double Median(List<double> v)
{
    var s = v.Order().ToList();
    return s.Count == 0 ? double.NaN : s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
}

internal sealed record Result(string Kind, int Round, double P50Us, double P99Us, double MaxUs, double LostAtRate, double Sent, double Delivered, double LostAtMax,
    double PubCpuUs, double SubCpuUs)
{
    public string Line() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round} {Kind,-5}: latency p50 {P50Us / 1000:F2} ms p99 {P99Us / 1000:F2} ms max {MaxUs / 1000:F1} ms (lost {LostAtRate}); max rate: sent {Sent:F0}/s delivered {Delivered:F0}/s lost {LostAtMax}; CPU/msg pub {PubCpuUs:F1} µs sub {SubCpuUs:F1} µs");
}

internal static class Bus
{
    /// <summary>The application's own IPubSub for <paramref name="kind"/>: built as bkcs builds it (the providers'
    /// registrations, -msg-type), never started (no HTTP listener is needed to publish or subscribe).</summary>
    public static async Task<(BackendApplication App, IPubSub Bus, string Home)> Open(string kind, string[] busArgs)
    {
        var home = Directory.CreateTempSubdirectory("bkcs-pubsub-").FullName;
        string[] all = ["-home", home, "-log", "none", "-msg-type", kind, .. busArgs];
        var app = BackendApplicationBuilder.CreateBuilder(all).AddRedis().AddRabbitMq().AddNetMq().Build();
        await Task.Yield();
        return (app, app.Services.GetRequiredService<IPubSub>(), home);
    }

    public static string Message(int phase, long seq, string pad) =>
        string.Concat(string.Create(CultureInfo.InvariantCulture, $"{phase}|{seq}|{Stopwatch.GetTimestamp()}|"), pad);

    public static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }
}

internal static class Subscriber
{
    private static int _phase = -1;
    private static long[] _lat = new long[1];
    private static long _count;
    private static long _lastTicks;

    public static async Task<int> Run(string kind, string[] busArgs)
    {
        var channel = busArgs[0];
        var (app, bus, home) = await Bus.Open(kind, busArgs[1..]);
        try
        {
            await using var sub = await bus.SubscribeAsync(channel, OnMessage);
            Console.WriteLine("READY");
            while (Console.ReadLine() is { } line)
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "phase":
                        Interlocked.Exchange(ref _lat, new long[int.Parse(parts[2], CultureInfo.InvariantCulture)]);
                        Interlocked.Exchange(ref _count, 0);
                        Volatile.Write(ref _phase, int.Parse(parts[1], CultureInfo.InvariantCulture));
                        Console.WriteLine("OK");
                        break;
                    case "count":
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"COUNT {Interlocked.Read(ref _count)} {Interlocked.Read(ref _lastTicks)}"));
                        break;
                    case "report":
                        var n = (int)Math.Min(Interlocked.Read(ref _count), _lat.Length);
                        var s = _lat.AsSpan(0, n).ToArray();
                        Array.Sort(s);
                        double P(double q) => n == 0 ? double.NaN : Stopwatch.GetElapsedTime(0, s[Math.Min(n - 1, (int)(q * n))]).TotalMicroseconds;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"REPORT {n} {P(0.5):F0} {P(0.99):F0} {(n == 0 ? double.NaN : Stopwatch.GetElapsedTime(0, s[n - 1]).TotalMicroseconds):F0}"));
                        break;
                    case "quit":
                        return 0;
                }
            }
            return 0;
        }
        finally
        {
            await app.DisposeAsync();
            try { Directory.Delete(home, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static void OnMessage(string message)
    {
        var now = Stopwatch.GetTimestamp();
        var a = message.IndexOf('|', StringComparison.Ordinal);
        var b = message.IndexOf('|', a + 1);
        var c = message.IndexOf('|', b + 1);
        if (int.Parse(message.AsSpan(0, a), CultureInfo.InvariantCulture) != Volatile.Read(ref _phase)) return;
        var sent = long.Parse(message.AsSpan(b + 1, c - b - 1), CultureInfo.InvariantCulture);
        var lat = Volatile.Read(ref _lat);
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < lat.Length) lat[i] = now - sent;
        Interlocked.Exchange(ref _lastTicks, now);
    }
}

internal static class Publisher
{
    public static async Task<Result> Run(string kind, int round, Options opts)
    {
        var inv = CultureInfo.InvariantCulture;
        var channel = $"bench:pubsub:{Environment.ProcessId}:{kind}:{round}";
        string[] common = kind switch
        {
            "redis" => ["-redis-host", opts.Redis.Split(':')[0], "-redis-port", opts.Redis.Split(':')[1]],
            "amqp" => ["-amqp-host", opts.Amqp],
            _ => [],
        };
        var (pubPort, subPort) = (Bus.FreePort(), Bus.FreePort());
        string[] subArgs = kind == "zmq" ? [.. common, "-msg-port", $"{subPort}", "-msg-host", $"127.0.0.1:{pubPort}"] : common;
        string[] pubArgs = kind == "zmq" ? [.. common, "-msg-port", $"{pubPort}", "-msg-host", $"127.0.0.1:{subPort}"] : common;

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[typeof(Publisher).Assembly.Location, "sub", kind, channel, .. subArgs]) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"sub {kind}: {e.Data}"); };
        child.BeginErrorReadLine();
        var (app, bus, home) = await Bus.Open(kind, pubArgs);
        try
        {
            async Task<string> Ask(string command, string prefix)
            {
                if (command.Length > 0) { await child.StandardInput.WriteLineAsync(command); await child.StandardInput.FlushAsync(); }
                while (await child.StandardOutput.ReadLineAsync() is { } line)
                    if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
                throw new InvalidOperationException($"the {kind} subscriber exited (code {(child.HasExited ? child.ExitCode : -1)})");
            }
            async Task<(long Count, long Last)> Count()
            {
                var p = (await Ask("count", "COUNT")).Split(' ');
                return (long.Parse(p[1], inv), long.Parse(p[2], inv));
            }
            // Waits until the count stops moving (or reaches `expected`): what was published has arrived or is lost.
            async Task<(long Count, long Last)> Drain(long expected)
            {
                var (n, last) = await Count();
                var still = Stopwatch.StartNew();
                var all = Stopwatch.StartNew();
                while (n < expected && still.ElapsedMilliseconds < 1000 && all.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(50);
                    var (m, l) = await Count();
                    if (m != n) still.Restart();
                    (n, last) = (m, l);
                }
                return (n, last);
            }
            await Ask("", "READY");
            var pad = new string('x', 40);

            // Phase 0: until one message gets through (a zmq subscription travels to the publisher asynchronously).
            await Ask("phase 0 1000", "OK");
            var until = Stopwatch.StartNew();
            for (long i = 0; (await Count()).Count == 0; i++)
            {
                if (until.Elapsed > TimeSpan.FromSeconds(30)) throw new InvalidOperationException($"{kind}: nothing delivered within 30 s");
                await bus.PublishAsync(channel, Bus.Message(0, i, pad));
                await Task.Delay(20);
            }
            // Warm-up: a second at the rate, not measured.
            await Paced(bus, channel, 0, opts.Rate, 1, pad);

            // Phase 1: latency at a moderate rate.
            var expected = (long)(opts.Rate * opts.Seconds);
            await Ask($"phase 1 {expected + 16}", "OK");
            var sent1 = await Paced(bus, channel, 1, opts.Rate, opts.Seconds, pad);
            var (got1, _) = await Drain(sent1);
            var rep = (await Ask("report", "REPORT")).Split(' ');

            // Phase 2: as fast as possible, `Window` publishes in flight.
            await Ask($"phase 2 {opts.MaxMessages}", "OK");
            var (pub0, sub0) = (Bus.CpuMs(Environment.ProcessId), Bus.CpuMs(child.Id));
            long seq = 0;
            var start = Stopwatch.GetTimestamp();
            var end = TimeSpan.FromSeconds(opts.Seconds);
            await Task.WhenAll(Enumerable.Range(0, opts.Window).Select(async _ =>
            {
                while (Stopwatch.GetElapsedTime(start) < end)
                    await bus.PublishAsync(channel, Bus.Message(2, Interlocked.Increment(ref seq), pad));
            }));
            var pubSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var (got2, last2) = await Drain(seq);
            var (pub1, sub1) = (Bus.CpuMs(Environment.ProcessId), Bus.CpuMs(child.Id));
            var deliverSeconds = Stopwatch.GetElapsedTime(start, last2).TotalSeconds;
            await child.StandardInput.WriteLineAsync("quit");
            await child.StandardInput.FlushAsync();
            return new Result(kind, round, double.Parse(rep[2], inv), double.Parse(rep[3], inv), double.Parse(rep[4], inv), sent1 - got1,
                seq / pubSeconds, got2 / Math.Max(deliverSeconds, pubSeconds), seq - got2,
                (pub1 - pub0) * 1000 / Math.Max(1, seq), (sub1 - sub0) * 1000 / Math.Max(1, got2));
        }
        finally
        {
            await app.DisposeAsync();
            try { Directory.Delete(home, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (!child.WaitForExit(10_000)) child.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Publishes at <paramref name="rate"/> messages a second for <paramref name="seconds"/>: each message
    /// when its time comes (a 1 ms timer tick late at most, so no bursts to speak of), stamped just before it is sent.</summary>
    private static async Task<long> Paced(IPubSub bus, string channel, int phase, double rate, double seconds, string pad)
    {
        var total = (long)(rate * seconds);
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            while (Stopwatch.GetElapsedTime(start) < due) await Task.Delay(1);
            await bus.PublishAsync(channel, Bus.Message(phase, i, pad));
        }
        return total;
    }
}

internal sealed record Options(string[] Kinds, int Rounds, double Rate, double Seconds, int Window, int MaxMessages, string Redis, string Amqp)
{
    public static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var inv = CultureInfo.InvariantCulture;
        return new(Get("kinds", "redis,amqp,zmq").Split(','), int.Parse(Get("rounds", "2"), inv), double.Parse(Get("rate", "1000"), inv),
            double.Parse(Get("seconds", "5"), inv), int.Parse(Get("window", "16"), inv), int.Parse(Get("max-messages", "5000000"), inv),
            Get("redis", "127.0.0.1:6380"), Get("amqp", "127.0.0.1:5673"));
    }
}
