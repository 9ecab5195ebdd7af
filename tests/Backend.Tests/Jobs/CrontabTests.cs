using Backend.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Jobs;

/// <summary>The crontab parser (good and bad files, with the places it names) and the schedule arithmetic.</summary>
public sealed class CrontabTests
{
    private static readonly Func<string, bool> Known = n => n is "cleanup" or "noop" or "sleep";

    [Fact]
    public void The_reference_form_parses_with_comments_and_trailing_commas()
    {
        var jobs = Crontab.Parse("""
            // nightly
            [
              { "type": "local", "cron": "0 1 1 * * 1,3", "job": { "cleanup": { "interval": 3600000 } } },
              { "cron": "*/5 * * * * *", "job": "noop" },
              { "type": "remote", "tag": "big", "cron": "0 0 * * * *", "job": { "sleep": { "ms": 10 }, "noop": null } },
              { "disabled": true, "cron": "nonsense", "job": 42 },
            ]
            """, "etc/crontab", Known);
        Assert.Equal(["cleanup", "noop", "sleep", "noop"], jobs.Select(j => j.Name));
        Assert.Equal([JobType.Local, JobType.Local, JobType.Remote, JobType.Remote], jobs.Select(j => j.Type));
        Assert.Equal("""{"interval":3600000}""", jobs[0].Args);
        Assert.Equal("{}", jobs[1].Args);
        Assert.Equal("big", jobs[2].Tag);
        Assert.Equal("etc/crontab:3:3 (entry 1)", jobs[0].Where);
        Assert.Equal(4, jobs.Select(j => j.Key).Distinct().Count());
    }

    [Fact]
    public void An_empty_file_is_an_empty_schedule() => Assert.Empty(Crontab.Parse("  \n", "f", Known));

    [Theory]
    [InlineData("[\n  { \"cron\": \"* * * * * *\", \"job\": \"noop\" \n  { }\n]", "f:3:3: not valid JSON")]
    [InlineData("[ { \"cron\": \"* * * * * *\", \"job\": \"noop\" }", "f:1:")]
    [InlineData("{ \"cron\": \"* * * * * *\" }", "f:1:1: expected a JSON array")]
    [InlineData("[\n\n    { \"cron\": \"* * * * *\", \"job\": \"noop\" }\n]", "f:3:5: entry 1: \"cron\": \"* * * * *\" must have six fields")]
    [InlineData("[ {\"cron\": \"* * * * * *\", \"job\": \"noop\"},\n {\"cron\": \"61 * * * * *\", \"job\": \"noop\"} ]", "f:2:2: entry 2: \"cron\": \"61 * * * * *\":")]
    [InlineData("[ {\"cron\": \"* * * * * *\", \"job\": \"nope\"} ]", "f:1:3: entry 1: no job named \"nope\" is registered")]
    [InlineData("[ {\"cron\": \"* * * * * *\"} ]", "entry 1: \"job\"")]
    [InlineData("[ {\"cron\": \"* * * * * *\", \"job\": {\"noop\": 1}} ]", "the arguments of \"noop\" must be an object")]
    [InlineData("[ {\"type\": \"elsewhere\", \"cron\": \"* * * * * *\", \"job\": \"noop\"} ]", "\"type\" must be \"local\" or \"remote\"")]
    [InlineData("[ 7 ]", "f:1:3: entry 1: an entry is an object")]
    [InlineData("[ {\"cron\": \"* * * * * *\", \"job\": \"noop\"} ] x", "f:1:")]
    public void A_bad_file_names_the_place(string text, string expected)
    {
        var ex = Assert.Throws<CrontabException>(() => Crontab.Parse(text, "f", Known));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ticks_are_the_same_on_every_node_and_seconds_come_first()
    {
        var a = Crontab.Parse("""[ { "cron": "*/5 * * * * *", "job": { "noop": { "x": 1 } } } ]""", "a", Known)[0];
        var b = Crontab.Parse("""
            [
              {
                "job": { "noop": { "x": 1 } },
                "cron": "*/5 * * * * *"
              }
            ]
            """, "b", Known)[0];
        var from = new DateTime(2026, 1, 1, 10, 0, 3, DateTimeKind.Utc);
        var next = a.Next(from, TimeZoneInfo.Utc);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 0, 5, DateTimeKind.Utc), next);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 0, 10, DateTimeKind.Utc), a.Next(next!.Value, TimeZoneInfo.Utc));
        // The same entry written differently in two files is the same claim.
        Assert.Equal(a.TickId(next.Value), b.TickId(next.Value));
        Assert.StartsWith("001767261605000-", a.TickId(next.Value), StringComparison.Ordinal);
        // Other arguments are another job.
        var c = Crontab.Parse("""[ { "cron": "*/5 * * * * *", "job": { "noop": { "x": 2 } } } ]""", "c", Known)[0];
        Assert.NotEqual(a.TickId(next.Value), c.TickId(next.Value));
    }

    [Fact]
    public void The_reference_example_fires_at_one_past_one_on_mondays_and_wednesdays()
    {
        var job = Crontab.Parse("""[ { "cron": "0 1 1 * * 1,3", "job": "noop" } ]""", "f", Known)[0];
        var next = job.Next(new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc), TimeZoneInfo.Utc); // a Tuesday
        Assert.Equal(new DateTime(2026, 12, 2, 1, 1, 0, DateTimeKind.Utc), next);
        Assert.Equal(DayOfWeek.Wednesday, next!.Value.DayOfWeek);
    }

    [Fact]
    public void A_bad_file_keeps_the_last_good_schedule_and_a_fixed_one_replaces_it()
    {
        var home = Directory.CreateTempSubdirectory("bkcs-crontab-").FullName;
        try
        {
            var config = Backend.Configuration.BackendConfig.Load(["-home", home], Backend.Configuration.ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
            var registry = new JobRegistry();
            registry.Add("noop", (_, _, _) => Task.CompletedTask).Add("sleep", (_, _, _) => Task.CompletedTask);
            Directory.CreateDirectory(Path.Combine(home, "etc"));
            var path = Path.Combine(home, "etc", "crontab");
            File.WriteAllText(path, """[ { "cron": "* * * * * *", "job": "noop" } ]""");
            using var files = new CrontabFiles(config, registry, NullLogger<CrontabFiles>.Instance, TimeProvider.System);
            files.Reload(force: true);
            Assert.Equal(["noop"], files.Jobs.Select(j => j.Name));
            var changed = files.Changed;

            File.WriteAllText(path, """[ { "cron": "* * * * * *", "job": "noop" """);
            files.Reload(force: false);
            Assert.Equal(["noop"], files.Jobs.Select(j => j.Name));
            Assert.False(changed.IsCancellationRequested);

            File.WriteAllText(path + ".local", """[ { "cron": "0 * * * * *", "job": "sleep" } ]""");
            File.WriteAllText(path, """[ { "cron": "* * * * * *", "job": "noop" } ]""");
            files.Reload(force: false);
            Assert.Equal(["noop", "sleep"], files.Jobs.Select(j => j.Name));
            Assert.True(changed.IsCancellationRequested);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
