using Backend.Tests.Conformance;
using Backend.Tests.Server;

namespace Backend.Tests.Jobs;

/// <summary>Two masters (two homes, one PostgreSQL database, the same crontab): a per-second job runs once a tick in the
/// cluster, never on both. Skips without PostgreSQL; fails under <c>CI=true</c>.</summary>
public sealed class TwoNodeJobTests
{
    [Fact]
    public async Task Two_masters_sharing_a_crontab_run_each_tick_once_in_the_cluster()
    {
        var pg = ServerUrls.Find("pgsql");
        if (pg is null)
        {
            const string why = "no pgsql server: run scripts/servers start pgsql";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
            Assert.Skip(why);
        }
        string[] pool = ["-db-pool", "pgsql", "-db-pgsql-pool", pg];
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
            var startedA = a.Lines(l => l.Contains(" started, pid ", StringComparison.Ordinal)).Count;
            var startedB = b.Lines(l => l.Contains(" started, pid ", StringComparison.Ordinal)).Count;
            Assert.Equal(runs.Count, startedA + startedB);
        }
        finally
        {
            BackendServer.DeleteHome(homeA);
            BackendServer.DeleteHome(homeB);
        }
    }

    private static long Tick(Backend.Data.DbRow r) => long.Parse(r.GetString("id")![..15], System.Globalization.CultureInfo.InvariantCulture);
}
