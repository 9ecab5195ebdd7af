using System.Diagnostics;
using Backend.Configuration;

namespace Backend.Runtime;

/// <summary><c>-daemon</c>. .NET cannot fork, so the process starts a copy of itself (same program, same arguments,
/// <see cref="ChildVariables.Daemonized"/> set) that leaves the terminal's session, reads from /dev/null and writes to
/// -log-file/-err-file; this one waits until the copy has written its pid file (or failed) and exits.</summary>
internal static class Daemon
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> DetachAsync(BackendConfig config, CancellationToken ct)
    {
        var pidPath = config.GetPath("pid-file")!;
        if (PidFile.Read(pidPath) is { } running && PidFile.IsBackend(running))
            throw new ConfigException($"a server of this home is already running (pid {running}, {pidPath}); 'bkcs stop' ends it");
        var psi = SelfCommand.Create(SelfCommand.OriginalArguments, new Dictionary<string, string> { [ChildVariables.Daemonized] = "1" });
        // The copy starts with its standard streams on the log files, so it holds nothing of this terminal or pipe.
        using var child = Posix.WithStandardStreams(LogFile(config), ErrFile(config), () => Process.Start(psi))
            ?? throw new IOException("could not start the daemon process");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (child.HasExited)
            {
                await Console.Error.WriteLineAsync($"bkcs: the daemon exited with code {child.ExitCode} while starting; see {ErrFile(config)}");
                return child.ExitCode == 0 ? 1 : child.ExitCode;
            }
            if (PidFile.Read(pidPath) == child.Id)
            {
                await Console.Out.WriteLineAsync($"bkcs: running in the background, pid {child.Id}; log {LogFile(config)}; 'bkcs stop' ends it");
                return 0;
            }
            await Task.Delay(50, ct);
        }
        await Console.Error.WriteLineAsync($"bkcs: the daemon (pid {child.Id}) wrote no pid file in {StartTimeout.TotalSeconds:0} s; see {ErrFile(config)}");
        return 1;
    }

    /// <summary>In the copy: a session of its own (no terminal, no SIGHUP when the terminal closes) and no standard
    /// input.</summary>
    public static void Detached()
    {
        Posix.NewSession();
        Posix.StdinFromNull();
    }

    public static string LogFile(BackendConfig config) => config.GetPath("log-file") is { Length: > 0 } l ? l : config.HomePath("log", "message.log");

    public static string ErrFile(BackendConfig config) => config.GetPath("err-file") is { Length: > 0 } e ? e : config.HomePath("log", "error.log");
}
