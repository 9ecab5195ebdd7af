using System.Diagnostics;
using Backend.Tests.Memcached;
using Backend.Tests.Server;

namespace Backend.Tests.Cluster;

/// <summary>Issue 11, point 7: the shared cache server goes down and comes back while requests run. Cached reads
/// (<c>bk_auth</c> on every signed request, <c>bk_counter</c>) fall back to the database: no 5xx; the outage is logged
/// once when it starts and once when it ends, not per request; nothing needs a restart.</summary>
public sealed class CacheFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_go_to_the_database_while_memcached_is_down_and_use_it_again_when_it_is_back()
    {
        MemcachedServers.Program();
        using var memcached = new MemcachedProcess();
        await using var node = await BackendServer.StartAsync(["-cache-type", "memcache", "-memcache-host", memcached.Host, "-log", "info"]);
        var me = await Accounts.Add(node, null);
        using var client = node.Client(me);

        var statuses = new List<int>();
        async Task Run(TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < time)
            {
                statuses.Add((await client.Get("/account/get")).Status);
                statuses.Add((await client.Get("/counter/incr", ("ping", "1"))).Status);
                statuses.Add((await client.Get("/counter/get")).Status);
            }
        }

        await Run(TimeSpan.FromSeconds(1));
        memcached.Stop();
        await Run(TimeSpan.FromSeconds(2));
        memcached.Start();
        // Back: the client reconnects by itself (a dead server is retried); give it a moment, then run again.
        var back = Stopwatch.StartNew();
        while (!node.Output.Contains("database cache: the shared cache is available again", StringComparison.Ordinal))
        {
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(15), $"the node did not use memcached again within 15 s; statuses {string.Join(",", statuses.CountBy(s => s).Select(p => $"{p.Key}x{p.Value}"))}; log: {node.Output[^Math.Min(3000, node.Output.Length)..]}");
            await Run(TimeSpan.FromMilliseconds(200));
        }
        await Run(TimeSpan.FromSeconds(1));

        Assert.All(statuses, s => Assert.Equal(200, s));
        var counter = (await client.Get("/counter/get")).Json!["ping"]!.GetValue<long>();
        Assert.Equal(statuses.Count / 3, counter);
        // One line when the outage starts, one when it ends.
        Assert.Equal(1, LogLines.Count(node.Output, "database cache: the shared cache is not available"));
        Assert.Equal(1, LogLines.Count(node.Output, "database cache: the shared cache is available again"));
    }
}

/// <summary>Issue 11, point 7: the broker (Redis pub/sub here) goes down and comes back while requests that publish
/// account events run. No request fails; the lost events and invalidations are counted and logged once per outage;
/// when the broker is back, subscriptions work again without a restart.</summary>
public sealed class BrokerFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_succeed_while_the_broker_is_down_and_events_flow_again_when_it_is_back()
    {
        using var redis = new Backend.Tests.PubSub.RedisProcess();
        await using var node = await BackendServer.StartAsync(["-msg-type", "redis", "-redis-host", "127.0.0.1", "-redis-port", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-redis-options", """{"timeout":500}""", "-log", "info"]);
        var me = await Accounts.Add(node, null);
        var other = await Accounts.Add(node, null);
        using var mine = node.Client(me);
        using var them = node.Client(other);

        var statuses = new List<int>();
        async Task Run(TimeSpan time)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < time)
            {
                // Bumping another account's counter publishes an account event and a cache invalidation.
                statuses.Add((await them.Get("/counter/incr", ("id", me.Id), ("ping", "1"))).Status);
                statuses.Add((await mine.Get("/counter/get")).Status);
            }
        }

        await Run(TimeSpan.FromSeconds(1));
        redis.Kill();
        await Run(TimeSpan.FromSeconds(2));
        redis.Start();
        var back = Stopwatch.StartNew();
        while (!node.Output.Contains("account events are delivered again", StringComparison.Ordinal))
        {
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(20), $"events were not published again within 20 s; log: {node.Output[^Math.Min(3000, node.Output.Length)..]}");
            await Run(TimeSpan.FromMilliseconds(200));
        }
        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal(statuses.Count / 2, (await mine.Get("/counter/get")).Json!["ping"]!.GetValue<long>());

        // A poll opened now hears the next event: the subscription works again.
        var poll = mine.Get("/account/subscribe");
        var started = Stopwatch.StartNew();
        while (!poll.IsCompleted)
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), "no event reached a poll after the broker came back");
            ApiAssert.Ok(await them.Get("/counter/incr", ("id", me.Id), ("ping", "1")));
            await Task.WhenAny(poll, Task.Delay(300, Ct));
        }
        Assert.NotEmpty((await poll).Json!.AsArray());
        Assert.Equal(1, LogLines.Count(node.Output, "account events are not delivered"));
        Assert.Equal(1, LogLines.Count(node.Output, "account events are delivered again"));
    }
}

/// <summary>Counting lines of a server's log.</summary>
internal static class LogLines
{
    /// <summary>How many times <paramref name="what"/> occurs in <paramref name="text"/>.</summary>
    public static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
