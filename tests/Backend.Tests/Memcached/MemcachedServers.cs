using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Memcached.Client;
using Backend.Tests.Conformance;

namespace Backend.Tests.Memcached;

/// <summary>The memcached servers of the tests: the shared one of scripts/servers (its line in servers.env, or
/// BKCS_TEST_POOL_URL_MEMCACHED), and private ones a test starts on a free port and kills itself. Without memcached
/// the tests skip; under CI=true they fail.</summary>
internal static class MemcachedServers
{
    private static bool Ci => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>"127.0.0.1:PORT" of the shared server, or a skip.</summary>
    public static string Shared()
    {
        if (ServerUrls.Find("memcached") is { } host) return host;
        var why = $"no memcached server: run scripts/servers start memcached (or set {ServerUrls.Variable("memcached")})";
        if (Ci) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return null!;
    }

    /// <summary>A client of the shared server.</summary>
    public static MemcachedClient SharedClient(Action<MemcachedClientOptions>? configure = null) => Client([Shared()], configure);

    public static MemcachedClient Client(IEnumerable<string> servers, Action<MemcachedClientOptions>? configure = null)
    {
        // A generous timeout unless a test sets its own: the whole suite runs in parallel on two shared cores, where a
        // first connect plus a thousand pipelined calls can take over the client's default second.
        var options = new MemcachedClientOptions { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var s in servers) options.Servers.Add(s);
        configure?.Invoke(options);
        return new MemcachedClient(options);
    }

    /// <summary>The memcached program, or a skip.</summary>
    public static string Program()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Concat(["/usr/bin", "/usr/local/bin"]).Select(d => Path.Combine(d, "memcached")).FirstOrDefault(File.Exists);
        if (path is not null) return path;
        const string why = "memcached is not installed: run scripts/servers start memcached";
        if (Ci) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return null!;
    }

    /// <summary>A port nothing listens on (for now).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string Unique(string name) => $"t:{name}:{Guid.NewGuid():N}";
}

/// <summary>A memcached process of one test, on 127.0.0.1 and a port of its own; killed (by its pid) on dispose.</summary>
internal sealed class MemcachedProcess : IDisposable
{
    private Process? _process;

    public MemcachedProcess(int? port = null)
    {
        Port = port ?? MemcachedServers.FreePort();
        Start();
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Starts it (again) and waits until it answers.</summary>
    public void Start()
    {
        var info = new ProcessStartInfo(MemcachedServers.Program()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // memcached refuses to run as root unless told which user to become.
        if (Environment.IsPrivilegedProcess) info.ArgumentList.Add("-u" + (File.ReadAllText("/etc/passwd").Contains("\nmemcache:", StringComparison.Ordinal) ? "memcache" : "nobody"));
        foreach (var a in new[] { "-l", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "0", "-m", "32", "-c", "256" })
            info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start memcached");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Answers())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
                throw new InvalidOperationException($"memcached on port {Port} did not start (exit {(_process.HasExited ? _process.ExitCode : -1)})");
            Thread.Sleep(20);
        }
    }

    /// <summary>Kills it (SIGKILL: a crash, not a shutdown) and waits for its port to close.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        _process = null;
    }

    private bool Answers()
    {
        try
        {
            using var tcp = new TcpClient();
            tcp.Connect(IPAddress.Loopback, Port);
            var stream = tcp.GetStream();
            stream.ReadTimeout = 1000;
            stream.Write("version\r\n"u8);
            var buffer = new byte[64];
            var n = stream.Read(buffer);
            return n > 8 && buffer.AsSpan(0, 8).SequenceEqual("VERSION "u8);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose() => Stop();
}

/// <summary>A real TCP relay between the client and a real server, whose connections can be held up: for the
/// connection number n (0-based), <c>delay(n)</c> is how long each chunk from the client waits before going on
/// (<see cref="Timeout.InfiniteTimeSpan"/>: never, a server that accepts and never answers).</summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private int _count;

    public TcpRelay(int? targetPort, Func<int, TimeSpan> delay)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync(targetPort, delay);
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _count);

    private async Task AcceptAsync(int? targetPort, Func<int, TimeSpan> delay)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var n = Interlocked.Increment(ref _count) - 1;
                lock (_sockets) _sockets.Add(client);
                var wait = delay(n);
                if (wait == Timeout.InfiniteTimeSpan || targetPort is null) continue; // accepted, never answered
                var server = new TcpClient();
                lock (_sockets) _sockets.Add(server);
                await server.ConnectAsync(IPAddress.Loopback, targetPort.Value, _stop.Token);
                _ = PumpAsync(client.GetStream(), server.GetStream(), wait);
                _ = PumpAsync(server.GetStream(), client.GetStream(), TimeSpan.Zero);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, TimeSpan wait)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            // One side closed: close the other, as a proxy does.
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Closes every connection made so far, as a server going away would; new ones are still relayed.</summary>
    public void DropAll()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets) s.Dispose();
            _sockets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var s in _sockets) s.Dispose();
        }
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
