using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backend.Tests.Server;

/// <summary>The real server as a child process: <c>dotnet bkcs.dll run -home HOME -api-port PORT
/// -api-bind 127.0.0.1 [extra args]</c>. Started with <see cref="StartAsync"/>, which returns once the port accepts
/// TCP connections; stdout and stderr are captured. Disposing kills the process tree and deletes the home when this
/// server created it.</summary>
public sealed class BackendServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly HashSet<int> UsedPorts = [];

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsHome;

    private BackendServer(Process process, string home, int port, bool ownsHome)
    {
        _process = process;
        Home = home;
        Port = port;
        _ownsHome = ownsHome;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The backend home (etc/, var/backend.db, ...).</summary>
    public string Home { get; }

    /// <summary>The TCP port.</summary>
    public int Port { get; }

    /// <summary>http://127.0.0.1:PORT</summary>
    public Uri BaseAddress { get; }

    /// <summary>The SQLite database file the server uses.</summary>
    public string DatabasePath => Path.Combine(Home, "var", "backend.db");

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved by line).</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The server's process id (for its memory figures).</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The path of bkcs.dll next to the test assembly.</summary>
    public static string BkcsDll => Path.Combine(AppContext.BaseDirectory, "bkcs.dll");

    /// <summary>The path of testapp.dll (tests/Backend.Tests.App: the server of <c>bkcs run</c> plus endpoints only
    /// tests need, such as <c>/test/block</c>) next to the test assembly.</summary>
    public static string TestAppDll => Path.Combine(AppContext.BaseDirectory, "testapp.dll");

    /// <summary>A new empty home directory.</summary>
    public static string CreateHome() => Directory.CreateTempSubdirectory("bkcs-server-").FullName;

    /// <summary>Starts a server with a fresh home (deleted on dispose), or on <paramref name="home"/>, which is
    /// deleted on dispose only with <paramref name="ownsHome"/>. <paramref name="program"/>: another server program
    /// than <c>bkcs run</c>, such as <see cref="TestAppDll"/>, given the same parameters.</summary>
    public static async Task<BackendServer> StartAsync(IEnumerable<string>? extraArgs = null, string? home = null, bool ownsHome = false, string? program = null)
    {
        var ct = TestContext.Current.CancellationToken;
        ownsHome |= home is null;
        home ??= CreateHome();
        var args = extraArgs?.ToArray() ?? [];
        Exception? last = null;
        // A port picked as free can be taken by someone else before the server binds it; try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort();
            var server = new BackendServer(Launch(BuildArgs(home, port, args, program is null), program), home, port, ownsHome);
            server.Capture();
            try
            {
                await server.WaitReadyAsync(ct);
                return server;
            }
            catch (ServerStartException ex)
            {
                last = ex;
                await server.StopAsync();
                server._process.Dispose();
                if (!ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) break;
            }
            catch
            {
                // cancelled: leave nothing behind
                await server.StopAsync();
                server._process.Dispose();
                if (ownsHome) DeleteHome(home);
                throw;
            }
        }
        if (ownsHome) DeleteHome(home);
        throw last!;
    }

    /// <summary>Runs <c>dotnet bkcs.dll ARGS</c> to completion (for commands that do not serve) and returns the
    /// exit code with stdout and stderr. Kills it and fails after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCommandAsync(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var ct = TestContext.Current.CancellationToken;
        using var process = Launch(args);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"bkcs {string.Join(' ', args)} did not exit in time; output:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A client for this server, signing as <paramref name="account"/> (anonymous when null).</summary>
    public BackendClient Client(TestAccount? account = null, bool cookies = false) => new(BaseAddress, account, cookies) { ServerOutput = () => Output };

    /// <summary>Kills the process tree and waits for it; the home stays.</summary>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // nothing more we can do; the OS reaps it
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        if (_ownsHome) DeleteHome(Home);
    }

    /// <summary>Deletes a home directory, retrying while files are still held.</summary>
    public static void DeleteHome(string home)
    {
        for (var i = 0; i < 10; i++)
        {
            try
            {
                if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static List<string> BuildArgs(string home, int port, string[] extra, bool bkcs) =>
        [.. bkcs ? ["run"] : Array.Empty<string>(), "-home", home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-api-bind", "127.0.0.1", .. PoolArgs, .. extra];

    /// <summary>The database pool the servers of this test run use: <c>BKCS_TEST_SERVER_POOL</c> (sqlite when unset),
    /// pointed at the server scripts/servers started. scripts/test runs this suite once per pool.</summary>
    public static IReadOnlyList<string> PoolArgs { get; } = FindPoolArgs();

    /// <summary>The pool name of this run (sqlite unless <c>BKCS_TEST_SERVER_POOL</c> says otherwise).</summary>
    public static string Pool => Environment.GetEnvironmentVariable("BKCS_TEST_SERVER_POOL") is { Length: > 0 } p ? p : "sqlite";

    private static string[] FindPoolArgs()
    {
        var pool = Environment.GetEnvironmentVariable("BKCS_TEST_SERVER_POOL");
        if (string.IsNullOrEmpty(pool) || pool == "sqlite") return [];
        var url = Backend.Tests.Conformance.ServerUrls.Find(pool)
            ?? throw new InvalidOperationException($"BKCS_TEST_SERVER_POOL={pool} but no {pool} server: run scripts/servers start {pool}");
        return ["-db-pool", pool, $"-db-{pool}-pool", url];
    }

    private static Process Launch(IEnumerable<string> args, string? program = null)
    {
        program ??= BkcsDll;
        Assert.True(File.Exists(program), $"{program} is missing: the test project must reference its project");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The server reads BKCS_* variables; the developer's own must not leak into tests.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
    }

    private void Capture()
    {
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await Task.Delay(100, ct); // let the output readers drain
                throw new ServerStartException($"bkcs exited with code {_process.ExitCode} before listening on {Port}; output:\n{Output}");
            }
            using var tcp = new TcpClient();
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                await tcp.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
                if (!_process.HasExited) return;
            }
            catch (SocketException)
            {
                // not listening yet
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // connect attempt timed out
            }
            await Task.Delay(50, ct);
        }
        throw new ServerStartException($"bkcs did not listen on {Port} within {StartTimeout.TotalSeconds} s; output:\n{Output}");
    }

    /// <summary>A TCP port free on loopback now (the OS picks it).</summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            // Never hand the same port to two servers of this test run.
            lock (UsedPorts)
            {
                if (UsedPorts.Add(port)) return port;
            }
        }
    }
}

/// <summary>The server process did not come up.</summary>
public sealed class ServerStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ServerStartException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ServerStartException() { }

    /// <summary>Creates the exception.</summary>
    public ServerStartException(string message, Exception inner) : base(message, inner) { }
}
