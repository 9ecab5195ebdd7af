using Backend.Tests.Conformance;
using Backend.Tests.Server;

namespace Backend.Tests.Jobs;

/// <summary>Two masters (two homes, one PostgreSQL database, the same crontab): a per-second job runs once a tick in the
/// cluster, never on both; a remote entry's tick is queued once and run by one of them. Skips without PostgreSQL; fails
/// under <c>CI=true</c>.</summary>
public sealed class TwoNodeJobTests
{
    private static string[] SharedPool()
    {
        var pg = ServerUrls.Find("pgsql");
        if (pg is null)
        {
            const string why = "no pgsql server: run scripts/servers start pgsql";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
            Assert.Skip(why);
        }
        return ["-db-pool", "pgsql", "-db-pgsql-pool", pg];
    }

    [Fact]
    public async Task Two_masters_sharing_a_crontab_run_each_tick_once_in_the_cluster()
    {
        var pool = SharedPool();
        // Arguments unique to this run make its entry (and so its claims) its own in a shared database.
        var marker = Guid.NewGuid().ToString("N");
        var args = $$"""{"test":"{{marker}}"}""";
        var crontab = $$"""[ { "type": "local", "cron": "* * * * * *", "job": { "noop": {{args}} } } ]""";
        string homeA = BackendServer.CreateHome(), homeB = BackendServer.CreateHome();
        try
        {
            foreach (var home in new[] { homeA, homeB })
            {
                Directory.CreateDirectory(Path.Combine(home, "etc"));
                await File.WriteAllTextAsync(Path.Combine(home, "etc", "crontab"), crontab, TestContext.Current.CancellationToken);
            }
            await using var a = await MasterProcess.StartAsync(homeA, pool);
            await using var b = await MasterProcess.StartAsync(homeB, pool);
            await using var db = JobsDb.Open(homeA, pool);
            // Both schedule from now on: about five seconds of ticks.
            var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await db.WaitForRunsAsync(r => r.GetString("args") == args && Tick(r) > from, rows => rows.Count(r => r.GetString("status") == "ok") >= 5,
                TimeSpan.FromSeconds(60), () => a.Output + "\n---\n" + b.Output);
            await a.StopAsync();
            await b.StopAsync();

            var runs = await db.RunsAsync(r => r.GetString("args") == args);
            var ticks = runs.Select(Tick).ToList();
            Assert.Equal(ticks.Count, ticks.Distinct().Count());
            // Each run's job ran in exactly one process of one node: its "noop (RUNID)" line is in one output, once.
            foreach (var run in runs.Where(r => r.GetString("status") == "ok"))
            {
                var id = run.GetString("id")!;
                // The job's own line ("Backend.Jobs.noop[...] noop (ID)"), not the master's "job noop (ID) started/ended".
                bool Ran(string l) => l.Contains($"] noop ({id})", StringComparison.Ordinal);
                var lines = a.Lines(Ran).Count + b.Lines(Ran).Count;
                Assert.True(lines == 1, $"run {id} ran {lines} times");
            }
            // Both masters competed for every tick of the run: each started its job only for the ticks it claimed.
            AssertEachRunStartedOnce(runs, a, b);
        }
        finally
        {
            BackendServer.DeleteHome(homeA);
            BackendServer.DeleteHome(homeB);
        }
    }

    [Fact]
    public async Task A_remote_crontab_entry_queues_each_tick_once_and_one_of_two_masters_runs_it()
    {
        var pool = SharedPool();
        // A tag of its own: only these two masters take its queue rows, whatever else shares the database.
        var tag = "t" + Guid.NewGuid().ToString("N");
        var args = $$"""{"test":"{{tag}}"}""";
        var crontab = $$"""[ { "type": "remote", "tag": "{{tag}}", "cron": "*/2 * * * * *", "job": { "noop": {{args}} } } ]""";
        string homeA = BackendServer.CreateHome(), homeB = BackendServer.CreateHome();
        try
        {
            foreach (var home in new[] { homeA, homeB })
            {
                Directory.CreateDirectory(Path.Combine(home, "etc"));
                await File.WriteAllTextAsync(Path.Combine(home, "etc", "crontab"), crontab, TestContext.Current.CancellationToken);
            }
            string[] extra = ["-server-jobs-tag", tag, "-server-jobs-interval", "200"];
            await using var a = await MasterProcess.StartAsync(homeA, pool, extra);
            await using var b = await MasterProcess.StartAsync(homeB, pool, extra);
            await using var db = JobsDb.Open(homeA, pool);
            var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string Output() => a.Output + "\n---\n" + b.Output;
            var ok = await db.WaitForRunsAsync(r => r.GetString("args") == args && Tick(r) > from, rows => rows.Count(r => r.GetString("status") == "ok") >= 3,
                TimeSpan.FromSeconds(60), Output);
            ok = [.. ok.Where(r => r.GetString("status") == "ok")];
            // A run is recorded only after its queue row was taken: none of them is still queued.
            var queued = await db.QueueAsync(q => q.GetString("args") == args);
            Assert.DoesNotContain(queued, q => ok.Any(r => r.GetString("id") == q.GetString("id")));
            await a.StopAsync();
            await b.StopAsync();

            var runs = await db.RunsAsync(r => r.GetString("args") == args);
            var ticks = runs.Select(Tick).ToList();
            Assert.Equal(ticks.Count, ticks.Distinct().Count());
            Assert.All(ticks, t => Assert.Equal(0, t % 2000)); // the ticks of */2 seconds
            var nodes = new Dictionary<string, MasterProcess>(StringComparer.Ordinal)
            {
                [$"{Environment.MachineName}:{a.Pid}"] = a,
                [$"{Environment.MachineName}:{b.Pid}"] = b,
            };
            foreach (var run in ok)
            {
                var id = run.GetString("id")!;
                Assert.Equal("noop", run.GetString("name"));
                Assert.Equal("queue", run.GetString("type"));
                Assert.Equal(tag, run.GetString("tag"));
                Assert.True(run.GetLong("ended") >= run.GetLong("started"), JobsDb.Describe(run));
                // The node recorded is the master that started the job, and the job's own line is in its output only, once.
                var node = run.GetString("node")!;
                Assert.True(nodes.TryGetValue(node, out var ran), $"run {id} recorded node {node}, not one of {string.Join(", ", nodes.Keys)}");
                var other = ran == a ? b : a;
                bool Started(string l) => l.Contains($"job noop ({id}) started", StringComparison.Ordinal);
                bool Ran(string l) => l.Contains($"] noop ({id})", StringComparison.Ordinal);
                Assert.Single(ran.Lines(Started));
                Assert.Empty(other.Lines(Started));
                Assert.Single(ran.Lines(Ran));
                Assert.Empty(other.Lines(Ran));
                // Both masters fired the tick; exactly one of them queued it. (A second copy is possible only if the row
                // is taken and deleted within one database round trip of a late master's look for the run: see
                // docs/jobs.md, "Once per cluster".)
                bool Queued(string l) => l.Contains($"queued for tag \"{tag}\" ({id})", StringComparison.Ordinal);
                var queuedLines = a.Lines(Queued).Count + b.Lines(Queued).Count;
                Assert.True(queuedLines == 1, $"tick {id} was queued {queuedLines} times\n{Output()}");
            }
            // Every job started by either master is a run of this entry: nothing ran twice or outside a recorded run.
            AssertEachRunStartedOnce(runs, a, b);
        }
        finally
        {
            BackendServer.DeleteHome(homeA);
            BackendServer.DeleteHome(homeB);
        }
    }

    // Every run's process was started by one master, once, and no other job process was started, except for a run
    // claimed while its master was stopping, which is recorded killed without a process.
    private static void AssertEachRunStartedOnce(List<Backend.Data.DbRow> runs, MasterProcess a, MasterProcess b)
    {
        foreach (var run in runs)
        {
            var id = run.GetString("id")!;
            bool Started(string l) => l.Contains($" ({id}) started, pid ", StringComparison.Ordinal);
            var started = a.Lines(Started).Count + b.Lines(Started).Count;
            var expected = run.GetString("status") == "killed" && run.GetString("error") == Backend.Jobs.JobLauncher.NotStarted ? 0 : 1;
            Assert.True(started == expected, $"run {JobsDb.Describe(run)} was started {started} times");
        }
        var all = a.Lines(l => l.Contains(" started, pid ", StringComparison.Ordinal)).Count + b.Lines(l => l.Contains(" started, pid ", StringComparison.Ordinal)).Count;
        Assert.Equal(runs.Count(r => r.GetString("error") != Backend.Jobs.JobLauncher.NotStarted), all);
    }

    private static long Tick(Backend.Data.DbRow r) => long.Parse(r.GetString("id")![..15], System.Globalization.CultureInfo.InvariantCulture);
}
