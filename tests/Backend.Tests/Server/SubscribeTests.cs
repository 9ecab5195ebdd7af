using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>A server that batches events every 700 ms and ends empty polls after 2.5 s.</summary>
public sealed class SubscribeFixture : ServerFixture
{
    /// <summary>The delivery interval in milliseconds.</summary>
    public const int Interval = 1200;

    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-subscribe-interval", $"{Interval}", "-api-subscribe-timeout", "2500"];
}

public sealed class SubscribeTests(SubscribeFixture fixture) : IClassFixture<SubscribeFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens a long poll as <paramref name="account"/> and waits until the server has subscribed it (the
    /// poll is a plain request, so a short pause after sending is the only way to know it is listening).</summary>
    private async Task<Task<ApiResponse>> Poll(TestAccount account, params (string, string)[] query)
    {
        var client = fixture.Client(account);
        var poll = client.Get("/account/subscribe", query);
        await Task.Delay(300, Ct);
        Assert.False(poll.IsCompleted, "the poll answered before any event");
        return poll;
    }

    [Fact]
    public async Task Another_accounts_counter_bump_connection_and_message_arrive_within_one_interval()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var them = fixture.Client(other);

        var poll = await Poll(me);
        var sent = Stopwatch.StartNew();
        // Sent together, so all three land before the poll's first tick (0.9 s after they start) even on a loaded machine.
        var calls = await Task.WhenAll(
            them.Get("/counter/incr", ("id", me.Id), ("ping", "1")),
            them.Get("/connection/add", ("id", me.Id), ("type", "like")),
            them.Get("/message/add", ("id", me.Id), ("msg", "hi")));
        Assert.All(calls, ApiAssert.Ok);
        var reply = await poll;
        var waited = sent.Elapsed;
        ApiAssert.Ok(reply);
        Assert.True(waited < TimeSpan.FromMilliseconds(SubscribeFixture.Interval + 1500), $"delivered after {waited}");
        var events = Assert.IsType<JsonArray>(reply.Json).Select(e => e!.AsObject()).ToList();
        var paths = events.Select(e => (string?)e["path"]).ToList();
        Assert.Contains("/counter/incr", paths);
        Assert.Contains("/connection/add", paths);
        Assert.Contains("/message/add", paths);
        Assert.All(events, e =>
        {
            Assert.Equal(other.Id, (string?)e["id"]);
            Assert.True((long)e["mtime"]! > 0);
        });
        Assert.Equal("like", (string?)events.Single(e => (string?)e["path"] == "/connection/add")["type"]);
    }

    [Fact]
    public async Task Match_filters_events_by_their_json_text()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var them = fixture.Client(other);

        var poll = await Poll(me, ("match", "/message/"));
        ApiAssert.Ok(await them.Get("/counter/incr", ("id", me.Id), ("ping", "1")));
        ApiAssert.Ok(await them.Get("/message/add", ("id", me.Id), ("msg", "only this")));
        var reply = await poll;
        ApiAssert.Ok(reply);
        var e = Assert.Single(Assert.IsType<JsonArray>(reply.Json));
        Assert.Equal("/message/add", (string?)e!["path"]);
    }

    [Fact]
    public async Task A_poll_without_events_answers_an_empty_list_after_the_timeout()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        var poll = await Poll(me);
        // Events for someone else are not mine.
        using var them = fixture.Client(me);
        ApiAssert.Ok(await them.Get("/counter/incr", ("id", other.Id), ("ping", "1")));
        var reply = await poll;
        ApiAssert.Ok(reply);
        Assert.Empty(Assert.IsType<JsonArray>(reply.Json));
    }

    [Fact]
    public async Task Bad_input_is_400_in_the_documented_shape()
    {
        var me = await fixture.AddAccount();
        using var client = fixture.Client(me);
        ApiAssert.Error(await client.Get("/account/subscribe", ("match", "(unclosed")), 400, "match is not a valid regular expression");
        ApiAssert.Error(await client.Get("/account/subscribe", ("match", new string('a', 1001))), 400, "match is longer than 1000 characters");
        using var anonymous = fixture.Client();
        Assert.Equal(400, (await anonymous.Get("/account/subscribe")).Status);
    }
}
