using System.Diagnostics;

namespace Backend.Tests.PubSub;

/// <summary>A redis-server of one test on a free port, which the test may kill and start again (the shared one of
/// scripts/servers must never be); killed by its own pid on dispose.</summary>
internal sealed class RedisProcess : IDisposable
{
    private Process? _process;

    public RedisProcess()
    {
        Port = Backend.Tests.Server.BackendServer.FreePort();
        Start();
    }

    public int Port { get; }

    public void Start()
    {
        var program = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Answers())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"redis-server on port {Port} did not start");
            Thread.Sleep(20);
        }
    }

    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    private bool Answers()
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public void Dispose() => Kill();
}
