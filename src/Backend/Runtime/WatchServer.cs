using System.Diagnostics;

namespace Backend.Runtime;

/// <summary>The server process the watcher runs: this program again (or the same program from a new build
/// directory) with the same arguments and <see cref="ChildVariables.NoWatch"/>, its standard streams the watcher's.</summary>
internal sealed class WatchServer : IDisposable
{
    private readonly Process _process;

    private WatchServer(Process process, string? buildDirectory)
    {
        _process = process;
        BuildDirectory = buildDirectory;
        Pid = process.Id;
    }

    /// <summary>The server's process id.</summary>
    public int Pid { get; }

    /// <summary>The build directory it runs from; null for the program the watcher itself runs from.</summary>
    public string? BuildDirectory { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the server; <paramref name="onExit"/> is called (on a pool thread) when it exits, whoever
    /// ended it.</summary>
    public static WatchServer Start(string? buildDirectory, IReadOnlyDictionary<string, string> environment, Action<WatchServer> onExit)
    {
        var psi = Command(buildDirectory, environment);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        WatchServer? server = null;
        process.Exited += (_, _) =>
        {
            if (server is not null) onExit(server);
        };
        if (!process.Start())
        {
            process.Dispose();
            throw new IOException($"could not start {psi.FileName}");
        }
        server = new WatchServer(process, buildDirectory);
        // Exited may have fired before server was set (a process that dies at once): report it now.
        if (process.HasExited) onExit(server);
        return server;
    }

    /// <summary>This program's start description (<see cref="SelfCommand"/>), pointed at the same program file in
    /// <paramref name="buildDirectory"/> when one is given: the apphost <c>DIR/App</c>, or <c>dotnet DIR/App.dll</c>.</summary>
    internal static ProcessStartInfo Command(string? buildDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var psi = SelfCommand.Create(SelfCommand.OriginalArguments, environment);
        if (buildDirectory is null) return psi;
        if (psi.FileName == Environment.ProcessPath && Path.GetFileNameWithoutExtension(psi.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList[0] = Path.Combine(buildDirectory, Path.GetFileName(psi.ArgumentList[0]));
        else
            psi.FileName = Path.Combine(buildDirectory, Path.GetFileName(psi.FileName));
        return psi;
    }

    /// <summary>Sends <paramref name="signal"/> to the server.</summary>
    public bool Signal(int signal) => !_process.HasExited && Posix.Kill(Pid, signal);

    /// <summary>SIGTERM (the server finishes the requests in hand and exits), then after <paramref name="timeout"/> a
    /// kill of the server and everything it started.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        Posix.Kill(Pid, Posix.SIGTERM);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return;
        }
        catch (OperationCanceledException)
        {
            // did not stop in time
        }
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public void Dispose() => _process.Dispose();
}
