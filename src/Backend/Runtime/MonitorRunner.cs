using System.Runtime.InteropServices;
using Backend.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>The monitor (<c>-monitor</c>, "bkcs: monitor"): starts the Web server (unless -no-web) and, with -master,
/// the master, and starts again any that exits, waiting longer after each quick crash (-server-restart-delay doubled up
/// to -server-crash-delay) so a process that cannot start is reported, not spun. SIGHUP is passed to the Web server (a
/// rolling restart of its workers); SIGTERM stops everything in order. Killed outright, it leaves nothing behind: its
/// children see their control connection end and stop.</summary>
internal static class MonitorRunner
{
    public static async Task<int> RunAsync(BackendApplication app, CancellationToken ct)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Backend.Monitor");
        var time = app.Services.GetRequiredService<TimeProvider>();
        var config = app.Config;
        using var signals = ProcessRuntime.OnStopSignals(ct, out var registrations);
        using var registered = registrations;
        var policy = new RestartPolicy(TimeSpan.FromMilliseconds(config.GetInt("server-restart-delay")), TimeSpan.FromMilliseconds(config.GetInt("server-crash-delay")));
        await using var supervisor = new ChildSupervisor(policy, logger, time);
        ChildSlot? server = config.GetBool("no-web") ? null : new ChildSlot("server", ProcessRole.Server);
        ChildSlot? master = config.GetBool("master") ? new ChildSlot("master", ProcessRole.Master) : null;
        if (server is null && master is null)
        {
            logger.LogError("-monitor with -no-web and without -master has nothing to run");
            return 2;
        }
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            if (server?.Current is { } s) Posix.Kill(s.Pid, Posix.SIGHUP);
        });
        if (server is not null) supervisor.Start(server);
        if (master is not null) supervisor.Start(master);
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("monitoring {Processes}", string.Join(" and ", new[] { server?.Name, master?.Name }.Where(n => n is not null)));
        // The log watcher scans the processes' log files and reports their errors (docs/operations.md, "Log watcher").
        var logWatcher = app.Services.GetRequiredService<LogWatcher>().RunAsync(signals.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, signals.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl-C
        }
        logger.LogInformation("stopping");
        await logWatcher;
        await supervisor.StopAllAsync(TimeSpan.FromMilliseconds(config.GetInt("server-drain-time")) + TimeSpan.FromSeconds(60));
        return 0;
    }
}
