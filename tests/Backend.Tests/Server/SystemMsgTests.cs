using Backend.Tests.Conformance;

namespace Backend.Tests.Server;

/// <summary><c>/system/msg/*</c> on the server's pub/sub (the default <c>local</c> here; the two-node tests cover the
/// others): publish, watch, stats, admins only, bad input.</summary>
public sealed class SystemMsgTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static string Channel() => $"ops-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_message_published_by_an_admin_reaches_a_watch_on_its_channel()
    {
        using var admin = fixture.Client(fixture.Admin);
        using var watcher = fixture.Client(fixture.Admin);
        var channel = Channel();
        var watch = watcher.Get("/system/msg/subscribe", ("channel", channel), ("timeout", "10000"));
        // The watch subscribes when it arrives: publish until it has heard something.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!watch.IsCompleted)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the watch heard nothing");
            ApiAssert.Ok(await admin.Get("/system/msg/msg", ("channel", channel), ("msg", "hello")));
            await Task.WhenAny(watch, Task.Delay(100, TestContext.Current.CancellationToken));
        }
        var reply = (await watch).Object;
        Assert.Equal(channel, reply["channel"]!.GetValue<string>());
        Assert.Contains("hello", reply["messages"]!.AsArray().Select(m => m!.GetValue<string>()));
        ApiAssert.Ok(await admin.Get("/system/msg/publish", ("channel", channel), ("msg", "again")));
    }

    [Fact]
    public async Task A_watch_with_nothing_published_answers_an_empty_list_after_its_timeout()
    {
        using var admin = fixture.Client(fixture.Admin);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var reply = (await admin.Get("/system/msg/subscribe", ("channel", Channel()), ("timeout", "300"))).Object;
        Assert.Empty(reply["messages"]!.AsArray());
        Assert.True(clock.ElapsedMilliseconds >= 250, $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Stats_name_the_transport()
    {
        using var admin = fixture.Client(fixture.Admin);
        var stats = (await admin.Get("/system/msg/stats")).Object;
        Assert.Equal("local", stats["type"]!.GetValue<string>());
        Assert.Equal(0, stats["events"]!["failed"]!.GetValue<long>());
    }

    [Fact]
    public async Task Bad_input_is_a_400_and_an_unknown_operation_a_404()
    {
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Error(await admin.Get("/system/msg/msg", ("msg", "x")), 400, "channel is required");
        ApiAssert.Error(await admin.Get("/system/msg/msg", ("channel", "c")), 400, "msg is required");
        ApiAssert.Error(await admin.Get("/system/msg/msg", ("channel", new string('c', 257)), ("msg", "x")), 400);
        ApiAssert.Error(await admin.Get("/system/msg/subscribe", ("channel", "c"), ("timeout", "999999")), 400);
        ApiAssert.Error(await admin.Get("/system/msg/nope"), 404);
    }

    [Fact]
    public async Task The_msg_api_is_for_admins_only()
    {
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        foreach (var op in new[] { "msg", "publish", "subscribe", "stats" })
            ApiAssert.Error(await client.Get($"/system/msg/{op}", ("channel", "x"), ("msg", "1")), 403);
    }
}

/// <summary>With <c>-api-unsecure system</c> a signed-in account may use <c>/system/msg</c>, but not on the platform's
/// own channels: it cannot forge another account's events or read them.</summary>
public sealed class SystemMsgUnsecureTests(SystemUnsecureFixture fixture) : IClassFixture<SystemUnsecureFixture>
{
    [Fact]
    public async Task An_account_may_publish_on_its_own_channels_but_not_on_account_or_bk_ones()
    {
        var user = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var client = fixture.Client(user);
        ApiAssert.Ok(await client.Get("/system/msg/msg", ("channel", $"app-{Guid.NewGuid():N}"), ("msg", "x")));
        ApiAssert.Error(await client.Get("/system/msg/msg", ("channel", "account:" + other.Id), ("msg", "{\"path\":\"/fake\"}")), 403);
        ApiAssert.Error(await client.Get("/system/msg/subscribe", ("channel", "account:" + other.Id), ("timeout", "0")), 403);
        ApiAssert.Error(await client.Get("/system/msg/msg", ("channel", "bk:db:cache"), ("msg", "x")), 403);
    }
}
