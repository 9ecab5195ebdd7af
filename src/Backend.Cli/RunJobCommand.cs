using Backend.Hosting;
using Backend.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backend.Cli;

/// <summary><c>bkcs run-job NAME [-args JSON] [-name value ...]</c>: runs a registered job in this process, within
/// <c>-server-job-max-time</c>, and records the run (type <c>cli</c>) in bk_job_run. Exit codes: 0 done, 1 the job
/// failed or timed out, 2 usage (no name, unknown job, bad -args).</summary>
internal static class RunJobCommand
{
    public static async Task<int> RunAsync(string[] args, Func<string[], BackendApplicationBuilder> createBuilder, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || args[1].StartsWith('-'))
        {
            await stderr.WriteLineAsync("bkcs run-job: usage: bkcs run-job NAME [-args JSON] [-name value ...]");
            return 2;
        }
        var name = args[1];
        string? argsText = null;
        var rest = new List<string>();
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] == "-args")
            {
                if (i + 1 >= args.Length)
                {
                    await stderr.WriteLineAsync("bkcs run-job: -args needs a JSON object");
                    return 2;
                }
                argsText = args[++i];
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        var parsed = JobExecutor.ParseArgs(argsText, out var argsError);
        if (parsed is not { } jobArgs)
        {
            await stderr.WriteLineAsync("bkcs run-job: " + argsError);
            return 2;
        }
        await using var app = createBuilder([.. rest]).Build();
        if (!app.Jobs.Contains(name))
        {
            await stderr.WriteLineAsync($"bkcs run-job: no job named \"{name}\" is registered; jobs: {string.Join(", ", app.Jobs.Names)}");
            return 2;
        }
        await app.Db.InitAsync();
        var runs = app.Services.GetRequiredService<JobRuns>();
        var maxTime = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value.MaxTimeMs;
        var run = new JobRun(JobIds.New(runs.Now), name, System.Text.Json.JsonSerializer.Serialize(jobArgs), "cli", "");
        await runs.ClaimAsync(run, CancellationToken.None);
        using var limit = new CancellationTokenSource(maxTime);
        var error = await app.Services.GetRequiredService<JobExecutor>().RunAsync(name, run.Id, jobArgs, limit.Token);
        var status = error is null ? JobStatus.Ok : limit.IsCancellationRequested ? JobStatus.Timeout : JobStatus.Error;
        if (status == JobStatus.Timeout) error = $"stopped after {maxTime} ms (-server-job-max-time)";
        await runs.FinishAsync(run.Id, status, error, CancellationToken.None);
        if (error is null)
        {
            await stdout.WriteLineAsync($"{name}: ok ({run.Id})");
            return 0;
        }
        await stderr.WriteLineAsync($"bkcs run-job: {name}: {status}: {error} ({run.Id})");
        return 1;
    }
}
