using System.Globalization;
using Backend.Hosting;
using Backend.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Jobs;

/// <summary>The variables the master gives a job process (besides <see cref="ChildVariables.Role"/> = Job).</summary>
internal static class JobVariables
{
    /// <summary>The run id (its row in bk_job_run).</summary>
    public const string Run = "BACKENDCS_JOB_RUN";

    /// <summary>The job's name.</summary>
    public const string Name = "BACKENDCS_JOB_NAME";

    /// <summary>The job's arguments, a JSON object.</summary>
    public const string Args = "BACKENDCS_JOB_ARGS";

    /// <summary>The master's pid: the job stops when it is gone.</summary>
    public const string Parent = "BACKENDCS_JOB_PARENT";

    public static readonly string[] All = [Run, Name, Args, Parent];
}

/// <summary>Exit codes of a job process.</summary>
internal static class JobExit
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}

/// <summary>The <see cref="ProcessRole.Job"/> of this program: runs the job its variables name with the app's services
/// (no HTTP, no hosted services), records a failure's error text on the run row and exits 0 (done), 1 (the job threw)
/// or 2 (no such job, bad arguments). The master records everything else from the exit code. The process ends its job
/// when the master is gone, so a killed master leaves no job behind.</summary>
internal sealed class JobRoleRunner : IRoleRunner
{
    private static readonly TimeSpan ParentCheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    public ProcessRole Role => ProcessRole.Job;

    public async Task<int> RunAsync(BackendApplication app, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Backend.Jobs");
        var env = ProcessRuntime.CurrentEnvironment();
        env.TryGetValue(JobVariables.Run, out var runId);
        env.TryGetValue(JobVariables.Name, out var name);
        env.TryGetValue(JobVariables.Args, out var argsText);
        if (string.IsNullOrEmpty(runId) || string.IsNullOrEmpty(name))
        {
            logger.LogError("a job process needs {Run} and {Name}", JobVariables.Run, JobVariables.Name);
            return JobExit.Usage;
        }
        using var stop = ProcessRuntime.OnStopSignals(ct, out var signals);
        using (signals)
        {
            if (env.TryGetValue(JobVariables.Parent, out var p) && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
                _ = WatchParentAsync(parent, stop, logger);
            var runs = app.Services.GetRequiredService<JobRuns>();
            var args = JobExecutor.ParseArgs(argsText, out var argsError);
            string? error;
            var code = JobExit.Failed;
            if (args is null)
            {
                error = argsError;
                code = JobExit.Usage;
            }
            else
            {
                await app.Db.InitAsync(stop.Token);
                try
                {
                    error = await app.Services.GetRequiredService<JobExecutor>().RunAsync(name, runId, args.Value, stop.Token);
                }
                catch (KeyNotFoundException ex)
                {
                    error = ex.Message;
                    code = JobExit.Usage;
                }
            }
            if (error is null) return JobExit.Ok;
            await runs.FinishAsync(runId, JobStatus.Error, error, CancellationToken.None);
            return code;
        }
    }

    private static async Task WatchParentAsync(int parent, CancellationTokenSource stop, ILogger logger)
    {
        while (!stop.IsCancellationRequested && Posix.IsAlive(parent))
        {
            try
            {
                await Task.Delay(ParentCheck, stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
        if (stop.IsCancellationRequested) return;
        logger.LogWarning("the master (pid {Pid}) is gone: the job is stopped", parent);
        await stop.CancelAsync();
        await Task.Delay(Grace, CancellationToken.None);
        Environment.Exit(JobExit.Failed);
    }
}
