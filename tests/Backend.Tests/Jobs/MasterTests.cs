using Backend.Tests.Server;

namespace Backend.Tests.Jobs;

/// <summary>A real master (<c>bkcs run -master</c>) running crontab jobs in processes of their own: per-second ticks,
/// the job time limit, the bound on jobs at once, a crashing job, a bad crontab. Each test has its own home (SQLite,
/// or the pool of <c>BKCS_TEST_SERVER_POOL</c>).</summary>
public sealed class MasterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    private static string Home(string crontab)
    {
        var home = BackendServer.CreateHome();
        Directory.CreateDirectory(Path.Combine(home, "etc"));
        File.WriteAllText(Path.Combine(home, "etc", "crontab"), crontab);
        return home;
    }

    [Fact]
    public async Task A_master_runs_a_per_second_crontab_job_once_a_tick_in_processes_of_its_own()
    {
        var home = Home("""[ { "type": "local", "cron": "* * * * * *", "job": { "noop": {} } } ]""");
        try
        {
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs);
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = await db.WaitForRunsAsync(r => r.GetString("name") == "noop", rows => rows.Count(r => r.GetString("status") == "ok") >= 3, Wait, () => master.Output);
            Assert.All(runs, r => Assert.Equal("cron", r.GetString("type")));
            // Ticks are whole seconds, one row each; each ran in a process other than the master (the log says its pid).
            var ticks = runs.Select(r => long.Parse(r.GetString("id")![..15], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.All(ticks, t => Assert.Equal(0, t % 1000));
            Assert.Equal(ticks.Count, ticks.Distinct().Count());
            var node = runs[0].GetString("node")!;
            Assert.All(runs, r => Assert.Equal(node, r.GetString("node")));
            var started = master.Lines(l => l.Contains("job noop (", StringComparison.Ordinal) && l.Contains(" started, pid ", StringComparison.Ordinal));
            Assert.NotEmpty(started);
            Assert.DoesNotContain(started, l => l.EndsWith(" pid " + node.Split(':')[1], StringComparison.Ordinal));
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task A_hanging_job_is_killed_after_job_max_time_and_recorded_as_timeout()
    {
        var home = Home("""[ { "cron": "*/2 * * * * *", "job": { "sleep": { "ms": 600000 } } } ]""");
        try
        {
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs, "-server-job-max-time", "1500");
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = await db.WaitForRunsAsync(r => r.GetString("name") == "sleep", rows => rows.Any(r => r.GetString("status") == "timeout"), Wait, () => master.Output);
            var run = runs.First(r => r.GetString("status") == "timeout");
            Assert.Contains("-server-job-max-time", run.GetString("error"), StringComparison.Ordinal);
            var took = run.GetLong("ended")!.Value - run.GetLong("started")!.Value;
            Assert.InRange(took, 1400, 15_000);
            Assert.False(master.HasExited);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task A_crashing_job_is_recorded_and_the_master_keeps_scheduling()
    {
        var home = Home("""[ { "cron": "* * * * * *", "job": { "crash": { "code": 3 } } } ]""");
        try
        {
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs);
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = await db.WaitForRunsAsync(r => r.GetString("name") == "crash", rows => rows.Count(r => r.GetString("status") == "error") >= 2, Wait, () => master.Output);
            Assert.All(runs.Where(r => r.GetString("status") == "error"), r => Assert.Equal("the job process exited with code 3", r.GetString("error")));
            Assert.False(master.HasExited);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task Max_jobs_bounds_the_jobs_running_at_once_and_a_full_master_leaves_the_tick()
    {
        var home = Home("""[ { "cron": "* * * * * *", "job": { "sleep": { "ms": 2500 } } } ]""");
        try
        {
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs, "-server-max-jobs", "1");
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = await db.WaitForRunsAsync(r => r.GetString("name") == "sleep", rows => rows.Count(r => r.GetString("status") == "ok") >= 2, Wait, () => master.Output);
            await master.WaitForLineAsync(l => l.Contains("is left to another master", StringComparison.Ordinal), Wait);
            // One slot: no two runs overlap.
            var spans = (await db.RunsAsync(r => r.GetString("name") == "sleep")).OrderBy(r => r.GetLong("started")).ToList();
            for (var i = 1; i < spans.Count; i++)
            {
                var previousEnd = spans[i - 1].GetLong("ended");
                Assert.True(previousEnd is not null && previousEnd <= spans[i].GetLong("started"),
                    $"runs overlap: {JobsDb.Describe(spans[i - 1])} / {JobsDb.Describe(spans[i])}");
            }
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task A_bad_crontab_is_reported_with_its_place_and_the_last_good_schedule_keeps_running()
    {
        var home = Home("""[ { "cron": "* * * * * *", "job": { "noop": {} } } ]""");
        try
        {
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs);
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            await db.WaitForRunsAsync(r => r.GetString("name") == "noop", rows => rows.Count > 0, Wait, () => master.Output);
            var path = Path.Combine(home, "etc", "crontab");
            await File.WriteAllTextAsync(path, "[\n  { \"cron\": \"* * * * *\", \"job\": { \"noop\": {} } }\n]", TestContext.Current.CancellationToken);
            var error = await master.WaitForLineAsync(l => l.Contains("crontab:2:3: entry 1", StringComparison.Ordinal), Wait);
            Assert.Contains("six fields", error, StringComparison.Ordinal);
            Assert.Contains("previous schedule", error, StringComparison.Ordinal);
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await db.WaitForRunsAsync(r => r.GetString("name") == "noop" && r.GetLong("started") > after, rows => rows.Count >= 2, Wait, () => master.Output);

            // Fixed (another job): the new schedule replaces the old one.
            await File.WriteAllTextAsync(path, """[ { "cron": "* * * * * *", "job": { "sleep": { "ms": 1 } } } ]""", TestContext.Current.CancellationToken);
            await master.WaitForLineAsync(l => l.Contains("crontab: 1 scheduled jobs", StringComparison.Ordinal) && l.Contains("etc/crontab", StringComparison.Ordinal) && master.Lines(x => x.Contains("crontab: 1 scheduled", StringComparison.Ordinal)).Count >= 2, Wait);
            await db.WaitForRunsAsync(r => r.GetString("name") == "sleep", rows => rows.Any(r => r.GetString("status") == "ok"), Wait, () => master.Output);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }
}
