using System.Diagnostics;
using System.Globalization;
using Backend.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Jobs;

/// <summary>Starts a claimed run in a process of its own (this same program with <see cref="ProcessRole.Job"/>), kills
/// it after <c>-server-job-max-time</c> (the whole process tree, SIGKILL) and records how it ended: <c>ok</c> (exit 0),
/// <c>error</c> (the job threw, or the process crashed: the exit code or signal is the error), <c>timeout</c>,
/// <c>killed</c> (the master stopped).</summary>
internal sealed class JobLauncher(JobRuns runs, IOptions<JobsOptions> options, ILogger<JobLauncher> logger, Metrics.BackendMetrics metrics)
{
    private int _sequence;

    /// <summary>The error of a run claimed while its master was stopping: no process was started.</summary>
    public const string NotStarted = "the master stopped before the job started";

    public async Task RunAsync(JobRun run, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested)
        {
            await FinishAsync(run, JobStatus.Killed, NotStarted);
            return;
        }
        var maxTime = TimeSpan.FromMilliseconds(options.Value.MaxTimeMs);
        var id = "job-" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ChildVariables.Role] = nameof(ProcessRole.Job),
            [ChildVariables.Id] = id,
            [JobVariables.Run] = run.Id,
            [JobVariables.Name] = run.Name,
            [JobVariables.Args] = run.Args,
            [JobVariables.Parent] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        var started = Stopwatch.StartNew();
        string status;
        string? error = null;
        Process process;
        try
        {
            process = Process.Start(SelfCommand.Create(SelfCommand.OriginalArguments, env)) ?? throw new IOException("no process was started");
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            logger.LogError("job {Name} ({Run}): could not start its process: {Message}", run.Name, run.Id, ex.Message);
            await FinishAsync(run, JobStatus.Error, "could not start the job process: " + ex.Message);
            return;
        }
        using (process)
        {
            logger.JobStarted(run.Name, run.Id, process.Id);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            limit.CancelAfter(maxTime);
            try
            {
                await process.WaitForExitAsync(limit.Token);
                var code = process.ExitCode;
                if (code == JobExit.Ok)
                {
                    status = JobStatus.Ok;
                }
                else
                {
                    status = JobStatus.Error;
                    // A job that threw recorded its own error text; a crash did not.
                    var row = await runs.GetAsync(run.Id, CancellationToken.None);
                    if (row?.GetString("error") is { Length: > 0 } own && row.GetString("status") == JobStatus.Error) error = own;
                    else error = code > 128 ? $"the job process died of signal {code - 128}" : $"the job process exited with code {code}";
                }
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // exited meanwhile
                }
                await process.WaitForExitAsync(CancellationToken.None);
                if (stopping.IsCancellationRequested)
                {
                    status = JobStatus.Killed;
                    error = "the master stopped";
                }
                else
                {
                    status = JobStatus.Timeout;
                    error = $"killed after {options.Value.MaxTimeMs} ms (-server-job-max-time)";
                }
            }
        }
        logger.JobEnded(status == JobStatus.Ok ? LogLevel.Information : LogLevel.Warning, run.Name, run.Id, status, started.ElapsedMilliseconds, error is null ? "" : ": " + error);
        metrics.JobDuration.Record(started.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("job.name", run.Name));
        await FinishAsync(run, status, error);
    }

    private async Task FinishAsync(JobRun run, string status, string? error)
    {
        metrics.JobRuns.Add(1, new KeyValuePair<string, object?>("job.name", run.Name), new KeyValuePair<string, object?>("job.status", status));
        try
        {
            await runs.FinishAsync(run.Id, status, error, CancellationToken.None);
        }
        catch (Exception ex) when (ex is Backend.Data.DbException or IOException or TimeoutException)
        {
            logger.LogError("job {Name} ({Run}): the end of the run could not be recorded: {Message}", run.Name, run.Id, ex.Message);
        }
    }
}
