using Backend.Tests.Server;

namespace Backend.Tests.Jobs;

/// <summary>On demand: <c>bkcs run-job</c> (exit codes, the run recorded) and <c>/system/jobs/*</c> (submit to the queue,
/// a master takes it, the runs listed; admins only; bad input 400).</summary>
public sealed class RunJobAndApiTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Run_job_runs_now_records_the_run_and_says_how_it_went_in_its_exit_code()
    {
        var home = BackendServer.CreateHome();
        try
        {
            string[] common = ["-home", home, "-log", "warn", .. BackendServer.PoolArgs];
            var ok = await BackendServer.RunCommandAsync(["run-job", "sleep", "-args", """{"ms":10}""", .. common]);
            Assert.True(ok.ExitCode == 0, ok.Stderr);
            Assert.Contains("sleep: ok", ok.Stdout, StringComparison.Ordinal);

            var failed = await BackendServer.RunCommandAsync(["run-job", "sleep", "-args", """{"ms":"long"}""", .. common]);
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("\"ms\" must be an integer", failed.Stderr, StringComparison.Ordinal);

            var unknown = await BackendServer.RunCommandAsync(["run-job", "no-such-job", .. common]);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("no job named \"no-such-job\"", unknown.Stderr, StringComparison.Ordinal);
            var badJson = await BackendServer.RunCommandAsync(["run-job", "noop", "-args", "{\"a\":", .. common]);
            Assert.Equal(2, badJson.ExitCode);
            Assert.Contains("not valid JSON", badJson.Stderr, StringComparison.Ordinal);
            var notObject = await BackendServer.RunCommandAsync(["run-job", "noop", "-args", "[1]", .. common]);
            Assert.Equal(2, notObject.ExitCode);
            Assert.Equal(2, (await BackendServer.RunCommandAsync(["run-job", .. common])).ExitCode);

            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = (await db.RunsAsync(r => r.GetString("name") == "sleep")).OrderBy(r => r.GetString("id")).ToList();
            Assert.Equal(["ok", "error"], runs.Select(r => r.GetString("status")));
            Assert.All(runs, r => Assert.Equal("cli", r.GetString("type")));
            Assert.All(runs, r => Assert.NotNull(r.GetLong("ended")));
            Assert.Contains("must be an integer", runs[1].GetString("error"), StringComparison.Ordinal);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task A_submitted_job_waits_in_the_queue_until_a_master_runs_it_and_admins_list_the_runs()
    {
        var home = BackendServer.CreateHome();
        try
        {
            var admin = await AdminServerFixture.MakeAdmin(home);
            await using var server = await BackendServer.StartAsync(["-log", "warn"], home);
            using var client = server.Client(admin);

            ApiAssert.Error(await client.Get("/system/jobs/submit", ("name", "no-such-job")), 400);
            ApiAssert.Error(await client.Get("/system/jobs/submit"), 400);
            ApiAssert.Error(await client.Get("/system/jobs/submit", ("name", "noop"), ("args", "{")), 400);
            ApiAssert.Error(await client.Get("/system/jobs/submit", ("name", "noop"), ("args", "\"text\"")), 400);
            ApiAssert.Error(await client.Get("/system/jobs/runs", ("_count", "0")), 400);
            ApiAssert.Error(await client.Get("/system/jobs/nothing"), 404);

            var names = (await client.Get("/system/jobs/list")).Array.Select(j => j!["name"]!.ToString()).ToList();
            Assert.Contains("cleanup-jobs", names);
            Assert.Contains("noop", names);

            var id = (await client.Get("/system/jobs/submit", ("name", "sleep"), ("args", """{"ms":5}"""))).Object["id"]!.ToString();
            var queued = (await client.Get("/system/jobs/queue")).Object["data"]!.AsArray();
            Assert.Contains(queued, q => q!["id"]!.ToString() == id);

            // No master yet: it waits. A master on the same database takes it.
            await using var master = await MasterProcess.StartAsync(home, BackendServer.PoolArgs, "-server-jobs-interval", "200");
            await using var db = JobsDb.Open(home, BackendServer.PoolArgs);
            var runs = await db.WaitForRunsAsync(r => r.GetString("id") == id, rows => rows.Any(r => r.GetString("status") == "ok"), Wait, () => master.Output);
            Assert.Equal("queue", runs[0].GetString("type"));
            Assert.Equal("""{"ms":5}""", runs[0].GetString("args"));

            var listed = (await client.Get("/system/jobs/runs", ("name", "sleep"))).Object;
            var run = Assert.Single(listed["data"]!.AsArray());
            Assert.Equal(id, run!["id"]!.ToString());
            Assert.Equal("ok", run["status"]!.ToString());
            Assert.DoesNotContain((await client.Get("/system/jobs/queue")).Object["data"]!.AsArray(), q => q!["id"]!.ToString() == id);

            // Admins only.
            var user = new TestAccount(Accounts.UniqueLogin("user"), Accounts.NewSecret(), "");
            ApiAssert.Ok(await server.Client().Get("/account/add", ("login", user.Login), ("secret", user.Secret), ("name", "U")));
            using var other = server.Client(user);
            foreach (var op in new[] { "submit", "runs", "queue", "list" })
                ApiAssert.Error(await other.Get($"/system/jobs/{op}", ("name", "noop")), 403);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }
}
