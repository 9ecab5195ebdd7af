using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Backend.Api;
using Backend.Api.Accounts;
using Backend.PubSub;

namespace Backend.Tests.PubSub;

public sealed class LocalPubSubTests
{
    [Fact]
    public async Task Publishing_without_subscribers_is_dropped()
    {
        var bus = new LocalPubSub();
        var elsewhere = new List<string>();
        await using var other = await bus.SubscribeAsync("somebody", elsewhere.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("nobody", "x", TestContext.Current.CancellationToken);
        Assert.Empty(elsewhere); // nothing leaks to another channel
        Assert.Equal(1, bus.ChannelCount); // and publishing made no channel for "nobody"

        // Dropped, not queued: a subscriber that comes later never sees the earlier message, only the ones after it.
        var late = new List<string>();
        await using var sub = await bus.SubscribeAsync("nobody", late.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("nobody", "y", TestContext.Current.CancellationToken);
        Assert.Equal(["y"], late);
        Assert.Empty(elsewhere);
    }

    [Fact]
    public async Task Subscribers_of_a_channel_get_its_messages_in_order_and_only_its_own()
    {
        var bus = new LocalPubSub();
        var a = new List<string>();
        var a2 = new List<string>();
        var b = new List<string>();
        await using var sa = await bus.SubscribeAsync("a", a.Add, TestContext.Current.CancellationToken);
        await using var sa2 = await bus.SubscribeAsync("a", a2.Add, TestContext.Current.CancellationToken);
        await using var sb = await bus.SubscribeAsync("b", b.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("a", "1", TestContext.Current.CancellationToken);
        await bus.PublishAsync("b", "2", TestContext.Current.CancellationToken);
        await bus.PublishAsync("a", "3", TestContext.Current.CancellationToken);
        Assert.Equal(["1", "3"], a);
        Assert.Equal(["1", "3"], a2); // every subscriber of the channel, not just one
        Assert.Equal(["2"], b);
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_delivery_and_forgets_an_empty_channel()
    {
        var bus = new LocalPubSub();
        var toFirst = new List<string>();
        var toSecond = new List<string>();
        var first = await bus.SubscribeAsync("c", toFirst.Add, TestContext.Current.CancellationToken);
        var second = await bus.SubscribeAsync("c", toSecond.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("c", "both", TestContext.Current.CancellationToken);
        await first.DisposeAsync();
        await first.DisposeAsync(); // twice is harmless and must not remove the other subscriber
        await bus.PublishAsync("c", "one", TestContext.Current.CancellationToken);
        await second.DisposeAsync();
        await bus.PublishAsync("c", "none", TestContext.Current.CancellationToken);
        Assert.Equal(["both"], toFirst);
        Assert.Equal(["both", "one"], toSecond);
        Assert.Equal(0, bus.ChannelCount);

        // A forgotten channel works again for a new subscriber, and the old handlers stay off it.
        var again = new List<string>();
        await using var third = await bus.SubscribeAsync("c", again.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("c", "again", TestContext.Current.CancellationToken);
        Assert.Equal(["again"], again);
        Assert.Equal(["both"], toFirst);
        Assert.Equal(["both", "one"], toSecond);
    }

    [Fact]
    public async Task A_failing_handler_does_not_stop_the_others()
    {
        var bus = new LocalPubSub();
        var before = new List<string>();
        var after = new List<string>();
        var failures = 0;
        await using var first = await bus.SubscribeAsync("d", before.Add, TestContext.Current.CancellationToken);
        await using var bad = await bus.SubscribeAsync("d", _ =>
        {
            Interlocked.Increment(ref failures);
            throw new InvalidOperationException("boom");
        }, TestContext.Current.CancellationToken);
        await using var good = await bus.SubscribeAsync("d", after.Add, TestContext.Current.CancellationToken);
        await bus.PublishAsync("d", "x", TestContext.Current.CancellationToken); // does not throw to the publisher
        await bus.PublishAsync("d", "y", TestContext.Current.CancellationToken);
        Assert.Equal(2, failures); // the failing handler really ran, each time
        Assert.Equal(["x", "y"], before);
        Assert.Equal(["x", "y"], after); // the handler subscribed after the failing one still gets every message
    }

    [Fact]
    public async Task Concurrent_subscribe_publish_and_dispose_lose_no_subscriber()
    {
        var bus = new LocalPubSub();
        var received = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        await Parallel.ForAsync(0, 200, TestContext.Current.CancellationToken, async (i, ct) =>
        {
            var bag = received.GetOrAdd(i, _ => []);
            var sub = await bus.SubscribeAsync("e", bag.Add, ct);
            await bus.PublishAsync("e", $"m{i}", ct);
            await sub.DisposeAsync();
        });
        // Each subscriber got its own message (others' too, when they overlapped), and only messages that were sent.
        for (var i = 0; i < 200; i++)
        {
            Assert.Contains($"m{i}", received[i]);
            Assert.All(received[i], m => Assert.InRange(int.Parse(m.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture), 0, 199));
        }
        var total = received.Values.Sum(b => b.Count);
        Assert.Equal(0, bus.ChannelCount);
        await bus.PublishAsync("e", "after", TestContext.Current.CancellationToken);
        Assert.Equal(total, received.Values.Sum(b => b.Count)); // every subscriber is gone: nobody gets it
    }

    [Fact]
    public async Task Account_events_carry_path_mtime_type_and_actor_on_the_account_channel()
    {
        var bus = new LocalPubSub();
        var time = new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123));
        var events = new AccountEvents(bus, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<AccountEvents>.Instance, []);
        var got = new List<string>();
        await using var sub = await events.Subscribe("acc1", got.Add, TestContext.Current.CancellationToken);
        await events.Publish("acc1", "/connection/add", "like", actor: "acc2", cancellationToken: TestContext.Current.CancellationToken);
        await events.Publish("acc2", "/message/add", "1", cancellationToken: TestContext.Current.CancellationToken);
        var e = Assert.Single(got);
        var json = JsonNode.Parse(e)!.AsObject();
        Assert.Equal("/connection/add", (string?)json["path"]);
        Assert.Equal(1_700_000_000_123, (long)json["mtime"]!);
        Assert.Equal("like", (string?)json["type"]);
        Assert.Equal("acc2", (string?)json["id"]);
        Assert.Equal("account:acc1", AccountEvents.Channel("acc1"));
    }

    [Theory]
    [InlineData(0, 5000, 5000)]
    [InlineData(1200, 5000, 3800)]
    [InlineData(5000, 5000, 0)]
    [InlineData(7000, 5000, 3000)]
    [InlineData(300, 0, 0)]
    public void Delivery_waits_for_the_next_interval_tick_since_the_poll_started(int elapsedMs, int intervalMs, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), AccountSubscription.UntilNextTick(TimeSpan.FromMilliseconds(elapsedMs), TimeSpan.FromMilliseconds(intervalMs)));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
