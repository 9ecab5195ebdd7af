using System.Globalization;
using Backend.Data;

namespace Backend.Jobs;

/// <summary>One run as the master starts it.</summary>
internal sealed record JobRun(string Id, string Name, string Args, string Type, string Tag);

/// <summary>The jobs tables through the <see cref="Db"/> facade: claims (the add of a run row), the end of a run, the
/// remote queue. Nothing else writes them.</summary>
internal sealed class JobRuns(Db db, TimeProvider time)
{
    /// <summary>This process, as runs record it: host:pid.</summary>
    public static string Node { get; } = Environment.MachineName + ":" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Adds the run row with status <c>running</c>: true when this node claimed it, false when another did.</summary>
    public async Task<bool> ClaimAsync(JobRun run, CancellationToken ct)
    {
        try
        {
            await db.AddAsync(JobTables.Runs, new Dictionary<string, object?>
            {
                ["id"] = run.Id,
                ["name"] = run.Name,
                ["type"] = run.Type,
                ["tag"] = run.Tag.Length > 0 ? run.Tag : null,
                ["node"] = Node,
                ["args"] = run.Args,
                ["status"] = JobStatus.Running,
                ["started"] = Now,
            }, ct);
            return true;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Conflict)
        {
            return false;
        }
    }

    /// <summary>Records the end of a run.</summary>
    public Task FinishAsync(string id, string status, string? error, CancellationToken ct) =>
        db.UpdateAsync(JobTables.Runs, new Dictionary<string, object?>
        {
            ["id"] = id,
            ["status"] = status,
            ["error"] = Cut(error),
            ["ended"] = Now,
        }, ct);

    /// <summary>The run row, or null.</summary>
    public async Task<DbRow?> GetAsync(string id, CancellationToken ct) => await db.GetAsync(JobTables.Runs, new { id }, ct);

    /// <summary>Puts a job on the remote queue under <paramref name="id"/>; false when that id is queued already (a
    /// crontab tick another master queued first).</summary>
    public async Task<bool> EnqueueAsync(string id, string name, string args, string tag, CancellationToken ct)
    {
        try
        {
            await db.AddAsync(JobTables.Queue, new Dictionary<string, object?>
            {
                ["id"] = id,
                ["name"] = name,
                ["args"] = args,
                ["tag"] = tag.Length > 0 ? tag : null,
                ["ctime"] = Now,
            }, ct);
            return true;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Conflict)
        {
            return false;
        }
    }

    /// <summary>The queued jobs, oldest first, read page by page.</summary>
    public IAsyncEnumerable<DbRow> QueuedAsync(CancellationToken ct) => db.ScanAsync(JobTables.Queue, null, ct);

    public Task DequeueAsync(string id, CancellationToken ct) => db.DelAsync(JobTables.Queue, new { id }, ct);

    internal static string? Cut(string? error) => error is { Length: > JobTables.MaxError } ? error[..(JobTables.MaxError - 3)] + "..." : error;
}

/// <summary>The statuses of a run.</summary>
internal static class JobStatus
{
    public const string Running = "running";
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Timeout = "timeout";
    public const string Killed = "killed";
    public const string Lost = "lost";
}
