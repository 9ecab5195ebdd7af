using System.Text.Json;
using Backend.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Jobs;

/// <summary>The jobs every Backend.cs program has (docs/jobs.md, "Built-in jobs"):
/// <c>cleanup-jobs</c> (the jobs tables' own housekeeping) and the diagnostics <c>noop</c>, <c>sleep</c>, <c>crash</c>.</summary>
internal static class BuiltInJobs
{
    /// <summary>Runs older than this many days are deleted by cleanup-jobs unless its <c>days</c> says otherwise.</summary>
    public const int DefaultDays = 30;

    public static void Register(JobRegistry jobs)
    {
        jobs.Add("cleanup-jobs", CleanupAsync,
            "Deletes runs older than \"days\" (30) from bk_job_run, marks runs still 'running' long after -server-job-max-time as 'lost', and drops queue rows already run");
        jobs.Add("noop", (job, _, _) =>
        {
            job.Logger.Noop(job.RunId);
            return Task.CompletedTask;
        }, "Does nothing (a diagnostic: checks that jobs run)");
        jobs.Add("sleep", (_, args, ct) => Task.Delay(Int(args, "ms", 1000, 0, int.MaxValue), ct), "Waits \"ms\" milliseconds (1000) (a diagnostic: long and hanging jobs)");
        jobs.Add("crash", (_, args, _) =>
        {
            // A diagnostic of containment: the process ends as a crash would, nothing is recorded by the job itself.
            Environment.Exit(Int(args, "code", 3, 1, 255));
            return Task.CompletedTask;
        }, "Ends its process at once with exit code \"code\" (3), as a crash would (a diagnostic: a crashing job does not take the master down)");
    }

    private static int Int(JsonElement args, string name, int fallback, int min, int max)
    {
        if (!args.TryGetProperty(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
            throw new ArgumentException($"\"{name}\" must be an integer between {min} and {max}");
        return n;
    }

    private static async Task CleanupAsync(JobContext job, JsonElement args, CancellationToken ct)
    {
        var options = job.Services.GetRequiredService<IOptions<JobsOptions>>().Value;
        var now = job.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)Int(args, "days", DefaultDays, 0, 36500) * 86_400_000;
        // A run still 'running' this long after its start outlived any job process: its master died with it.
        var lostBefore = now - options.MaxTimeMs - 60_000;
        var runIds = new HashSet<string>(StringComparer.Ordinal);
        var deleted = 0;
        var lost = 0;
        await foreach (var row in job.Db.ScanAsync(JobTables.Runs, null, ct))
        {
            var id = row.GetString("id")!;
            var started = row.GetLong("started") ?? 0;
            if (started < cutoff && id != job.RunId)
            {
                await job.Db.DelAsync(JobTables.Runs, new { id }, ct);
                deleted++;
                continue;
            }
            runIds.Add(id);
            if (row.GetString("status") == JobStatus.Running && started < lostBefore)
            {
                await job.Db.UpdateAsync(JobTables.Runs, new Dictionary<string, object?>
                {
                    ["id"] = id,
                    ["status"] = JobStatus.Lost,
                    ["error"] = "no end was recorded: the master running it stopped",
                    ["ended"] = now,
                }, ct);
                lost++;
            }
        }
        var dequeued = 0;
        await foreach (var row in job.Db.ScanAsync(JobTables.Queue, null, ct))
        {
            var id = row.GetString("id")!;
            if (!runIds.Contains(id)) continue;
            await job.Db.DelAsync(JobTables.Queue, new { id }, ct);
            dequeued++;
        }
        job.Logger.Cleaned(deleted, lost, dequeued);
    }
}
