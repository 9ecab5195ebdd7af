using Backend.Data;
using Backend.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Jobs;

/// <summary>The master's scheduler (a hosted service that does nothing unless this process is the
/// <see cref="ProcessRole.Master"/>): fires the crontab's ticks and takes jobs off the remote queue, each claimed once
/// per cluster by adding its run row (docs/jobs.md). At most <c>-server-max-jobs</c> run at once: a tick that finds this
/// master full is left to another master (and logged); queued jobs wait in the queue.</summary>
internal sealed class JobScheduler(
    RuntimePlan plan,
    CrontabFiles crontab,
    JobRuns runs,
    JobLauncher launcher,
    IOptions<JobsOptions> options,
    TimeProvider time,
    ILogger<JobScheduler> logger) : BackgroundService
{
    private readonly JobsOptions _options = options.Value;
    private readonly List<Task> _running = [];
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(5);
    private int _count;

    /// <summary>Time zone of the crontab's fields (the machine's, as cron's).</summary>
    public static TimeZoneInfo Zone => TimeZoneInfo.Local;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (plan.Role != ProcessRole.Master) return;
        crontab.Start();
        logger.SchedulerStarted(_options.Capacity, _options.IntervalMs, _options.Tag);
        var cron = CronLoopAsync(stoppingToken);
        var queue = QueueLoopAsync(stoppingToken);
        try
        {
            await Task.WhenAll(cron, queue);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        Task[] left;
        lock (_running) left = [.. _running];
        // The launchers kill their processes when stoppingToken is cancelled and record "killed".
        await Task.WhenAll(left);
    }

    private async Task CronLoopAsync(CancellationToken ct)
    {
        var from = time.GetUtcNow().UtcDateTime;
        while (!ct.IsCancellationRequested)
        {
            // Never catch up: ticks missed while this master was idle, paused or behind are left (another master may
            // have run them), so a schedule added later does not fire its past at once.
            var now = time.GetUtcNow().UtcDateTime;
            if (now - from > CatchUp) from = now;
            var changed = crontab.Changed;
            var jobs = crontab.Jobs;
            DateTime? next = null;
            foreach (var job in jobs)
            {
                if (job.Next(from, Zone) is { } n && (next is null || n < next)) next = n;
            }
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct, changed);
            var wait = next is { } at ? at - time.GetUtcNow().UtcDateTime : TimeSpan.FromMinutes(1);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : wait, time, wake.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    continue; // the schedule changed: look again from the same point
                }
            }
            ct.ThrowIfCancellationRequested();
            if (next is not { } tick || time.GetUtcNow().UtcDateTime < tick) continue;
            foreach (var job in jobs)
            {
                if (job.Next(from, Zone) == tick) await FireAsync(job, tick, ct);
            }
            from = tick;
        }
    }

    private async Task FireAsync(CronJob job, DateTime tick, CancellationToken ct)
    {
        var id = job.TickId(tick);
        var reserved = false;
        try
        {
            if (job.Type == JobType.Remote)
            {
                // A master that fires late can find the tick's row already taken and deleted by the master that ran
                // it, so its add would succeed again: the run row (a claim always comes before the delete) says the
                // tick is done. Between this look and the add another master may still take and delete the row; the
                // copy added then is dropped by the next look at the queue (its claim conflicts), never run twice.
                if (await runs.GetAsync(id, ct) is not null) return;
                // Another master queued this tick first when the add conflicts.
                if (await runs.EnqueueAsync(id, job.Name, job.Args, job.Tag, ct)) logger.TickQueued(job.Name, job.Tag, id);
                return;
            }
            if (!(reserved = TryReserve()))
            {
                logger.LogWarning("crontab: the tick of {Name} at {Tick:O} is left to another master: {Count} jobs run here (-server-max-jobs)", job.Name, tick, _options.Capacity);
                return;
            }
            var run = new JobRun(id, job.Name, job.Args, "cron", job.Tag);
            if (await ClaimAsync(run, ct)) Start(run, ct);
            else Release();
        }
        catch (DbException ex)
        {
            if (reserved) Release();
            logger.LogError("crontab: the tick of {Name} at {Tick:O} could not be claimed: {Message}", job.Name, tick, ex.Message);
        }
    }

    private async Task QueueLoopAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(_options.IntervalMs);
        while (!ct.IsCancellationRequested)
        {
            if (Volatile.Read(ref _count) < _options.Capacity)
            {
                try
                {
                    await TakeQueuedAsync(ct);
                }
                catch (DbException ex)
                {
                    logger.LogWarning("job queue: {Message}", ex.Message);
                }
            }
            await Task.Delay(interval, time, ct);
        }
    }

    private async Task TakeQueuedAsync(CancellationToken ct)
    {
        // The whole queue in key (time) order, so rows of other tags ahead of ours never hide ours; it stops as soon
        // as this master is full.
        await foreach (var row in runs.QueuedAsync(ct))
        {
            var id = row.GetString("id")!;
            var tag = row.GetString("tag") ?? "";
            if (tag != _options.Tag) continue;
            if (!TryReserve()) return;
            var run = new JobRun(id, row.GetString("name") ?? "", row.GetString("args") ?? "{}", "queue", tag);
            bool claimed;
            try
            {
                claimed = await ClaimAsync(run, ct);
            }
            catch
            {
                Release();
                throw;
            }
            if (claimed) Start(run, ct);
            else Release();
            // Claimed here or by another master earlier: either way the queue row is done.
            await runs.DequeueAsync(id, ct);
        }
    }

    // The add of the run row is not cancelled half-way: a cancelled call could still have written the row, leaving a run
    // this master never starts nor ends. Once claimed, the launcher records it (killed if the master is stopping).
    private Task<bool> ClaimAsync(JobRun run, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return runs.ClaimAsync(run, CancellationToken.None);
    }

    private bool TryReserve()
    {
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= _options.Capacity) return false;
            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count) return true;
        }
    }

    private void Release() => Interlocked.Decrement(ref _count);

    private void Start(JobRun run, CancellationToken ct)
    {
        Task task = null!;
        task = Task.Run(async () =>
        {
            try
            {
                await launcher.RunAsync(run, ct);
            }
            finally
            {
                Release();
                lock (_running) _running.Remove(task);
            }
        }, CancellationToken.None);
        lock (_running)
        {
            if (!task.IsCompleted) _running.Add(task);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        crontab.Dispose();
    }
}
