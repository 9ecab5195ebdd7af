using Backend.Configuration;
using Backend.Runtime;

namespace Backend.Cli;

/// <summary><c>bkcs stop</c> (SIGTERM, then waits for the server to exit) and <c>bkcs restart</c> (SIGHUP: the Web
/// workers restart one at a time) on the process named by the home's pid file.</summary>
internal static class SignalCommand
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(string command, BackendConfig config, TextWriter stdout, TextWriter stderr)
    {
        var path = config.GetPath("pid-file")!;
        if (PidFile.Read(path) is not { } pid || !PidFile.IsBackend(pid))
        {
            await stderr.WriteLineAsync($"bkcs {command}: no server of {config.Home} is running (no live process in {path})");
            return 1;
        }
        if (command == "restart")
        {
            Posix.Kill(pid, Posix.SIGHUP);
            await stdout.WriteLineAsync($"bkcs restart: the Web workers of pid {pid} restart one at a time (see its log)");
            return 0;
        }
        Posix.Kill(pid, Posix.SIGTERM);
        var deadline = DateTime.UtcNow + StopTimeout;
        while (Posix.IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                await stderr.WriteLineAsync($"bkcs stop: pid {pid} is still running after {StopTimeout.TotalSeconds:0} s (draining?); 'kill -9 {pid}' forces it");
                return 1;
            }
            await Task.Delay(50);
        }
        await stdout.WriteLineAsync($"bkcs stop: stopped pid {pid}");
        return 0;
    }
}
