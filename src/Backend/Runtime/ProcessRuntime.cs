using System.Runtime.InteropServices;
using Backend.Configuration;
using Backend.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>Runs a built app as what <see cref="RuntimePlan"/> says this process is: detaches first for
/// <c>-daemon</c>, writes the pid file of a top process, names the process for <c>ps</c>, then runs the role
/// (docs/operations.md, "Processes").</summary>
internal static class ProcessRuntime
{
    /// <summary>Runs <paramref name="app"/> until it is stopped; returns the exit code.</summary>
    public static async Task<int> RunAsync(BackendApplication app, CancellationToken ct)
    {
        var plan = app.Services.GetRequiredService<RuntimePlan>();
        var env = CurrentEnvironment();
        // The server a -watch process runs is not a top process: the watcher detached (-daemon), redirected the output
        // and holds the pid file; the server inherits its streams.
        var top = plan.ChildId is null && !env.ContainsKey(ChildVariables.Role) && !env.ContainsKey(ChildVariables.NoWatch);
        if (top && app.Config.GetBool("daemon") && !env.ContainsKey(ChildVariables.Daemonized))
            return await Daemon.DetachAsync(app.Config, ct);
        PidFile? pidFile = null;
        if (top && (plan.Role != ProcessRole.Single || env.ContainsKey(ChildVariables.Daemonized)))
            pidFile = PidFile.Create(app.Config.GetPath("pid-file")!);
        try
        {
            return await RunRoleAsync(app, plan, ct);
        }
        finally
        {
            pidFile?.Dispose();
        }
    }

    private static async Task<int> RunRoleAsync(BackendApplication app, RuntimePlan plan, CancellationToken ct)
    {
        foreach (var runner in app.Services.GetServices<IRoleRunner>())
        {
            if (runner.Role == plan.Role) return await runner.RunAsync(app, ct);
        }
        switch (plan.Role)
        {
            case ProcessRole.Single:
                await app.RunSingleAsync(ct);
                return 0;
            case ProcessRole.Worker:
            case ProcessRole.Master:
                // The master's hosted services (the scheduler among them) run; nothing listens (NoHttpServer).
                return await WorkerRunner.RunAsync(app, plan, ct);
            case ProcessRole.Server:
                {
                    using var server = new WebServerRunner(app);
                    return await server.RunAsync(plan, ct);
                }
            case ProcessRole.Monitor:
                return await MonitorRunner.RunAsync(app, ct);
            default:
                app.Logger.LogError("this program cannot run as {Role}: nothing registered runs that role", plan.Role);
                return 1;
        }
    }

    /// <summary>The process name <c>ps -e</c> shows for <paramref name="role"/>.</summary>
    public static string ProcessName(ProcessRole role) => "bkcs: " + role switch
    {
        ProcessRole.Worker => "web",
        ProcessRole.Server => "server",
        _ => role.ToString().ToLowerInvariant(),
    };

    /// <summary>-log-file and -err-file (log/message.log and log/error.log for a daemon): standard output and error
    /// appended to files, for this process and every process it starts. Done when the app is built, before the console
    /// logger takes its writer; a process the runtime started inherits them and does nothing here.</summary>
    public static void RedirectOutput(BackendConfig config, IReadOnlyDictionary<string, string> env)
    {
        if (env.ContainsKey(ChildVariables.Role) || env.ContainsKey(ChildVariables.NoWatch)) return;
        var daemon = env.ContainsKey(ChildVariables.Daemonized);
        if (!daemon && config.GetBool("daemon")) return; // the process that detaches keeps its terminal to say how it went
        if (daemon) Daemon.Detached();
        var log = daemon ? Daemon.LogFile(config) : config.GetPath("log-file") is { Length: > 0 } l ? l : null;
        var err = daemon ? Daemon.ErrFile(config) : config.GetPath("err-file") is { Length: > 0 } e ? e : null;
        if (log is not null)
        {
            Console.Out.Flush();
            Posix.RedirectToFile(1, log);
            Console.SetOut(new StreamWriter(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write)) { AutoFlush = true });
        }
        if (err is not null)
        {
            Console.Error.Flush();
            Posix.RedirectToFile(2, err);
            Console.SetError(new StreamWriter(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write)) { AutoFlush = true });
        }
    }

    internal static Dictionary<string, string> CurrentEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = e.Value?.ToString() ?? "";
        return env;
    }

    /// <summary>Cancelled on SIGTERM, SIGINT (Ctrl-C) and SIGQUIT, or when <paramref name="ct"/> is; the default
    /// action (exit at once) is cancelled, so the role stops in order.</summary>
    public static CancellationTokenSource OnStopSignals(CancellationToken ct, out IDisposable registrations)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            cts.Cancel();
        }
        var list = new List<IDisposable>
        {
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handler),
        };
        registrations = new Registrations(list);
        return cts;
    }

    private sealed class Registrations(List<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }
}
