using System.Collections.Concurrent;
using Backend.PubSub;

namespace Backend.Tests.PubSub;

/// <summary>One suite for every pub/sub kind: what a subscriber gets is the same on each. <see cref="Open"/> gives two
/// instances, as two processes would have (the same instance for the in-process kind): messages are published on the
/// first and received on the second, so a remote kind is tested across connections. Channels are unique per test.</summary>
public abstract class PubSubSuite
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How long a message may take to arrive.</summary>
    protected virtual TimeSpan Delivery => TimeSpan.FromSeconds(5);

    /// <summary>A publisher side and a subscriber side; skips (or fails under CI) without the server.</summary>
    protected abstract Task<(IPubSub Publisher, IPubSub Subscriber)> Open();

    protected static string Channel(string name) => $"t{Environment.ProcessId}:{Guid.NewGuid():N}:{name}";

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <see cref="Delivery"/>.</summary>
    protected async Task Eventually(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Delivery;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {Delivery.TotalSeconds} s: {what}");
            await Task.Delay(10, Ct);
        }
    }

    /// <summary>Gives a message that should not arrive the time it would have taken.</summary>
    protected static Task Settle() => Task.Delay(300, Ct);

    [Fact]
    public async Task Every_subscriber_of_a_channel_gets_its_messages_in_order_and_only_its_own()
    {
        var (pub, sub) = await Open();
        var (ca, cb) = (Channel("a"), Channel("b"));
        ConcurrentQueue<string> a = new(), a2 = new(), b = new();
        await using var sa = await sub.SubscribeAsync(ca, a.Enqueue, Ct);
        await using var sa2 = await sub.SubscribeAsync(ca, a2.Enqueue, Ct);
        await using var sb = await sub.SubscribeAsync(cb, b.Enqueue, Ct);
        for (var i = 0; i < 20; i++) await pub.PublishAsync(i % 2 == 0 ? ca : cb, $"m{i}", Ct);
        await Eventually(() => a.Count == 10 && a2.Count == 10 && b.Count == 10, "every message");
        string[] even = [.. Enumerable.Range(0, 10).Select(i => $"m{2 * i}")];
        Assert.Equal(even, a);
        Assert.Equal(even, a2);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"m{2 * i + 1}")], b);
    }

    [Fact]
    public async Task A_message_nobody_listens_to_is_dropped_not_queued()
    {
        var (pub, sub) = await Open();
        var c = Channel("late");
        await pub.PublishAsync(c, "before", Ct);
        await Settle();
        var got = new ConcurrentQueue<string>();
        await using var s = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        await pub.PublishAsync(c, "after", Ct);
        await Eventually(() => !got.IsEmpty, "the later message");
        await Settle();
        Assert.Equal(["after"], got);
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_its_delivery_and_leaves_the_others()
    {
        var (pub, sub) = await Open();
        var c = Channel("dispose");
        ConcurrentQueue<string> first = new(), second = new();
        var s1 = await sub.SubscribeAsync(c, first.Enqueue, Ct);
        await using var s2 = await sub.SubscribeAsync(c, second.Enqueue, Ct);
        await pub.PublishAsync(c, "both", Ct);
        await Eventually(() => first.Count == 1 && second.Count == 1, "the first message");
        await s1.DisposeAsync();
        await s1.DisposeAsync(); // twice is harmless
        await pub.PublishAsync(c, "one", Ct);
        await Eventually(() => second.Count == 2, "the second message");
        await Settle();
        Assert.Equal(["both"], first);
        Assert.Equal(["both", "one"], second);
    }

    [Fact]
    public async Task A_failing_handler_does_not_stop_the_others()
    {
        var (pub, sub) = await Open();
        var c = Channel("fail");
        var failures = 0;
        var good = new ConcurrentQueue<string>();
        await using var bad = await sub.SubscribeAsync(c, _ =>
        {
            Interlocked.Increment(ref failures);
            throw new InvalidOperationException("boom");
        }, Ct);
        await using var ok = await sub.SubscribeAsync(c, good.Enqueue, Ct);
        await pub.PublishAsync(c, "x", Ct);
        await pub.PublishAsync(c, "y", Ct);
        await Eventually(() => good.Count == 2, "both messages to the good handler");
        Assert.Equal(2, Volatile.Read(ref failures));
        Assert.Equal(["x", "y"], good);
    }

    [Fact]
    public async Task Text_arrives_exactly_as_sent()
    {
        var (pub, sub) = await Open();
        var c = Channel("text");
        string[] sent = ["", "plain", "ünïcödé 😀 \u0000 nul", "{\"json\":[1,2]}", "line\nbreak\r\n", new string('x', 65_536)];
        var got = new ConcurrentQueue<string>();
        await using var s = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        foreach (var m in sent) await pub.PublishAsync(c, m, Ct);
        await Eventually(() => got.Count == sent.Length, "every message");
        Assert.Equal(sent, got);
    }

    [Fact]
    public async Task Concurrent_publishers_lose_nothing_and_keep_each_ones_order()
    {
        var (pub, sub) = await Open();
        var c = Channel("many");
        var got = new ConcurrentQueue<string>();
        await using var s = await sub.SubscribeAsync(c, got.Enqueue, Ct);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++) await pub.PublishAsync(c, $"{p}:{i}", Ct);
        }, Ct)));
        await Eventually(() => got.Count == 1000, "1000 messages");
        foreach (var p in Enumerable.Range(0, 4))
            Assert.Equal(Enumerable.Range(0, 250), got.Where(m => m.StartsWith($"{p}:", StringComparison.Ordinal)).Select(m => int.Parse(m.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture)));
    }
}

/// <summary>The suite on the in-process kind.</summary>
public sealed class LocalPubSubSuite : PubSubSuite
{
    protected override Task<(IPubSub Publisher, IPubSub Subscriber)> Open()
    {
        var bus = new LocalPubSub();
        return Task.FromResult<(IPubSub, IPubSub)>((bus, bus));
    }
}
