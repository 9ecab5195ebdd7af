using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Backend.Configuration;
using Backend.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary><c>-watch</c> (development): runs the server as a child process and restarts it when etc/config,
/// etc/config.local, etc/crontab(.local) or a source file under <c>-watch-dir</c> changes. When the app runs from its
/// project's build output, a source change rebuilds it first (<see cref="WatchBuild"/>, into a fresh directory); a
/// build that fails prints the compiler's errors and leaves the running server alone. docs/watch.md.</summary>
/// <remarks>
/// The events the loop waits for arrive on one channel: a batch of changed files (after a 300 ms quiet period), the
/// server's exit, SIGHUP. A server that exits on its own is reported and started again only on the next change (a
/// server that cannot start does not spin). SIGTERM/Ctrl-C stop the server and the watcher; the watcher killed with
/// -9 leaves no server behind: the server holds a control connection to the watcher (<see cref="ControlServer"/>)
/// and stops when it drops (<see cref="WatchParentLink"/> for a single-process server). SIGHUP is passed on to a
/// -web or -monitor server, which restarts its workers gracefully; any other server is restarted.
/// </remarks>
internal sealed partial class Watcher(ILogger<Watcher> logger) : IRoleRunner
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    public ProcessRole Role => ProcessRole.Watcher;

    private sealed record ServerExited(WatchServer Server);

    private sealed record Hangup;

    public async Task<int> RunAsync(BackendApplication app, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        var config = app.Config;
        using var stop = ProcessRuntime.OnStopSignals(ct, out var signals);
        using var signalsRegistration = signals;
        var events = Channel.CreateUnbounded<object>();
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            events.Writer.TryWrite(new Hangup());
        });
        await using var control = new ControlServer(logger);
        var environment = control.ChildEnvironment("server");
        environment[ChildVariables.NoWatch] = "1";

        var project = WatchProject.Find(AppContext.BaseDirectory, Assembly.GetEntryAssembly()?.GetName().Name);
        var directories = SourceDirectories(config, project);
        var buildRoot = config.HomePath("tmp", "watch");
        DeleteDirectory(buildRoot);
        using var files = new WatchFiles(ConfigFiles(config), directories,
            [config.HomePath("var"), config.HomePath("tmp"), config.HomePath("log"), config.HomePath("images"), config.HomePath("etc")],
            Debounce, batch => events.Writer.TryWrite(batch), logger);
        var watched = string.Join(", ", ConfigFiles(config).Select(f => Relative(config, f)));
        var sources = directories.Count == 0 ? "none" : string.Join(", ", directories);
        var rebuilt = project is null ? "none: sources are not rebuilt" : $"{project.ProjectFile} ({project.Configuration}), rebuilt when a source changes";
        LogWatching(watched, sources, rebuilt);
        var builds = 0; // names each build's directory
        _ = DrainAsync(control);

        void OnExit(WatchServer s) => events.Writer.TryWrite(new ServerExited(s));
        var server = StartServer(null, environment, OnExit);
        var buildDirectory = (string?)null;
        try
        {
            while (true)
            {
                var e = await events.Reader.ReadAsync(stop.Token);
                switch (e)
                {
                    case ServerExited exited when ReferenceEquals(exited.Server, server):
                        LogServerExited(server.Pid, server.ExitCode);
                        server.Dispose();
                        server = null;
                        break;
                    case Hangup when server is not null && ForwardsHangup(config):
                        LogHangupForwarded(server.Pid);
                        server.Signal(Posix.SIGHUP);
                        break;
                    case Hangup:
                        server = await RestartAsync(server, buildDirectory, environment, OnExit, "SIGHUP");
                        break;
                    case WatchBatch batch:
                        var reason = Reason(config, directories, batch);
                        var previous = buildDirectory;
                        if (batch.Sources.Count > 0 && project is not null)
                        {
                            var output = Path.Combine(buildRoot, (++builds).ToString(CultureInfo.InvariantCulture));
                            LogBuilding(reason, project.ProjectFile);
                            var result = await WatchBuild.RunAsync(project, output, batch.ProjectFileChanged, stop.Token);
                            if (!result.Succeeded)
                            {
                                DeleteDirectory(output);
                                ReportBuildErrors(project, result, server);
                                break;
                            }
                            buildDirectory = output;
                        }
                        server = await RestartAsync(server, buildDirectory, environment, OnExit, reason);
                        // The replaced server is gone: nothing runs from the previous build any more.
                        if (previous is not null && previous != buildDirectory) DeleteDirectory(previous);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // SIGTERM, Ctrl-C
        }
        finally
        {
            if (server is not null)
            {
                await server.StopAsync(StopTimeout);
                server.Dispose();
            }
            DeleteDirectory(buildRoot);
        }
        return 0;
    }

    private async Task<WatchServer?> RestartAsync(WatchServer? server, string? buildDirectory, IReadOnlyDictionary<string, string> environment,
        Action<WatchServer> onExit, string reason)
    {
        if (server is not null)
        {
            await server.StopAsync(StopTimeout);
            server.Dispose();
        }
        var started = StartServer(buildDirectory, environment, onExit);
        if (started is not null) LogRestarted(reason, started.Pid);
        return started;
    }

    private WatchServer? StartServer(string? buildDirectory, IReadOnlyDictionary<string, string> environment, Action<WatchServer> onExit)
    {
        try
        {
            return WatchServer.Start(buildDirectory, environment, onExit);
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            LogStartFailed(ex.Message);
            return null;
        }
    }

    // A -web or -monitor server restarts its own workers one at a time on SIGHUP; a single process or a master has no
    // such restart, so the watcher restarts it.
    private static bool ForwardsHangup(BackendConfig config) => config.GetBool("web") || config.GetBool("monitor");

    private void ReportBuildErrors(WatchProject project, WatchBuildResult result, WatchServer? server)
    {
        var keeps = server is null ? "no server is running" : $"the running server (pid {server.Pid}) keeps serving the previous build";
        LogBuildFailed(project.ProjectFile, result.Errors.Count, keeps);
        // One block on standard error, whatever the log goes to: this is what the developer reads.
        var block = new System.Text.StringBuilder();
        block.AppendLine(CultureInfo.InvariantCulture, $"bkcs -watch: build failed: {project.ProjectFile}; {keeps}:");
        foreach (var line in result.Errors) block.AppendLine(CultureInfo.InvariantCulture, $"  {line}");
        block.AppendLine("bkcs -watch: waiting for the next change");
        Console.Error.Write(block.ToString());
        Console.Error.Flush();
    }

    /// <summary>The config files whose change restarts the server: the config file (-conf-file, etc/config) and its
    /// .local companion, etc/crontab and etc/crontab.local.</summary>
    internal static string[] ConfigFiles(BackendConfig config) =>
        [config.ConfigFile, config.ConfigFile + ".local", config.HomePath("etc", "crontab"), config.HomePath("etc", "crontab.local")];

    /// <summary>-watch-dir (relative paths are relative to the home, as for every path parameter), else the app's
    /// project directory.</summary>
    internal static IReadOnlyList<string> SourceDirectories(BackendConfig config, WatchProject? project)
    {
        var dirs = config.GetList("watch-dir").Select(d => ConfigPaths.Resolve(config.Home, d)).ToList();
        if (dirs.Count == 0 && project is not null) dirs.Add(project.Directory);
        return dirs;
    }

    /// <summary>"etc/config changed", "Program.cs, Album.cs changed", "12 files changed".</summary>
    internal static string Reason(BackendConfig config, IReadOnlyList<string> directories, WatchBatch batch)
    {
        var names = batch.Config.Select(f => Relative(config, f))
            .Concat(batch.Sources.Select(s => directories.FirstOrDefault(d => s.StartsWith(d, StringComparison.Ordinal)) is { } d ? Path.GetRelativePath(d, s) : s))
            .ToList();
        return names.Count <= 3 ? string.Join(", ", names) + " changed" : $"{names[0]} and {names.Count - 1} more files changed";
    }

    private static string Relative(BackendConfig config, string path) =>
        path.StartsWith(config.Home + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetRelativePath(config.Home, path) : path;

    private static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // cleared at the next start
        }
    }

    // The servers' control messages (hello, ready) need no answer; reading them keeps the channel empty.
    private static async Task DrainAsync(ControlServer control)
    {
        await foreach (var _ in control.Messages.ReadAllAsync())
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "-watch: watching {ConfigFiles}; sources: {Directories}; project: {Project}")]
    private partial void LogWatching(string configFiles, string directories, string project);

    [LoggerMessage(Level = LogLevel.Information, Message = "-watch: {Reason}: restarted the server (pid {Pid})")]
    private partial void LogRestarted(string reason, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "-watch: {Reason}: building {Project}")]
    private partial void LogBuilding(string reason, string project);

    [LoggerMessage(Level = LogLevel.Warning, Message = "-watch: the build of {Project} failed with {Count} errors; {Keeps}")]
    private partial void LogBuildFailed(string project, int count, string keeps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "-watch: the server (pid {Pid}) exited with code {Code}; it starts again at the next change")]
    private partial void LogServerExited(int pid, int code);

    [LoggerMessage(Level = LogLevel.Information, Message = "-watch: SIGHUP passed on to the server (pid {Pid})")]
    private partial void LogHangupForwarded(int pid);

    [LoggerMessage(Level = LogLevel.Error, Message = "-watch: the server could not be started: {Error}; it starts again at the next change")]
    private partial void LogStartFailed(string error);
}
