using System.Text.Json.Nodes;
using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>The connections API as an app uses it: two accounts like each other, the reverse references and the
/// like0/like1 counters follow, and deleting takes everything back.</summary>
public sealed class ConnectionScenarioTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Two_accounts_liking_each_other_get_counters_and_references_that_del_removes()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);

        var added = await Connect(ca, b.Id, "like", ("state", "new"));
        Assert.Equal(b.Id, added["id"]!.GetValue<string>());
        Assert.Equal("like", added["type"]!.GetValue<string>());
        Assert.Equal("new", added["state"]!.GetValue<string>());
        Assert.True(added["mtime"]!.GetValue<long>() > 0);
        Assert.Null(added["connected"]);

        // B is told A is connected to it already.
        var back = await Connect(cb, a.Id, "like", ("_connected", "1"));
        var connected = Assert.IsType<JsonObject>(back["connected"]);
        Assert.Equal(a.Id, connected["id"]!.GetValue<string>());
        Assert.Equal("like", connected["type"]!.GetValue<string>());
        Assert.Equal("new", connected["state"]!.GetValue<string>());

        foreach (var client in new[] { ca, cb })
        {
            var counters = await Counters(client);
            Assert.Equal(1, Counter(counters, "like0"));
            Assert.Equal(1, Counter(counters, "like1"));
            Assert.Equal(0, Counter(counters, "follow0"));
        }

        // The references: who connected to me.
        Assert.Equal([$"{a.Id}/like"], await All(cb, "/reference/select"));
        Assert.Equal([$"{b.Id}/like"], await All(ca, "/reference/select", ("type", "like")));
        var reference = await cb.Get("/reference/get", ("id", a.Id), ("type", "like"));
        ApiAssert.Ok(reference);
        Assert.Equal(a.Id, reference.Str("id"));
        Assert.Equal("new", reference.Str("state"));
        Assert.Equal([$"{b.Id}/like"], await All(ca, "/connection/select"));

        var del = await ca.Get("/connection/del", ("id", b.Id), ("type", "like"));
        ApiAssert.Ok(del);
        Assert.Equal(1, del.Object["count"]!.GetValue<long>());
        Assert.Equal(0, Counter(await Counters(ca), "like0"));
        Assert.Equal(0, Counter(await Counters(cb), "like1"));
        Assert.Empty(await All(cb, "/reference/select"));
        ApiAssert.Error(await cb.Get("/reference/get", ("id", a.Id), ("type", "like")), 404);

        ApiAssert.Ok(await cb.Get("/connection/del", ("id", a.Id), ("type", "like")));
        foreach (var client in new[] { ca, cb })
        {
            var counters = await Counters(client);
            Assert.Equal(0, Counter(counters, "like0"));
            Assert.Equal(0, Counter(counters, "like1"));
        }
        Assert.Empty(await All(ca, "/reference/select"));
        Assert.Empty(await All(ca, "/connection/select"));
    }

    [Fact]
    public async Task Put_creates_then_replaces_counting_once()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        for (var i = 0; i < 3; i++)
        {
            var r = await ca.Get("/connection/put", ("id", b.Id), ("type", "follow"), ("state", $"s{i}"));
            ApiAssert.Ok(r);
            Assert.Equal($"s{i}", r.Str("state"));
        }
        ApiAssert.Error(await ca.Get("/connection/add", ("id", b.Id), ("type", "follow")), 409);
        Assert.Equal(1, Counter(await Counters(ca), "follow0"));
        Assert.Equal(1, Counter(await Counters(cb), "follow1"));
        var reference = await cb.Get("/reference/get", ("id", a.Id), ("type", "follow"));
        Assert.Equal("s2", reference.Str("state"));
        Assert.Equal(["follow"], (await ca.Get("/connection/select")).Data.Select(x => x!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Parallel_puts_of_one_connection_count_once()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ca.Get("/connection/put", ("id", b.Id), ("type", "like"))));
        Assert.All(replies, ApiAssert.Ok);
        var adds = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ca.Get("/connection/add", ("id", b.Id), ("type", "like"))));
        Assert.All(adds, r => ApiAssert.Error(r, 409));
        Assert.Equal(1, Counter(await Counters(ca), "like0"));
        using var cb = fixture.Client(b);
        Assert.Equal(1, Counter(await Counters(cb), "like1"));
        var dels = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ca.Get("/connection/del", ("type", "like"))));
        Assert.All(dels, ApiAssert.Ok);
        Assert.Equal(1, dels.Sum(r => r.Object["count"]!.GetValue<long>()));
        Assert.Equal(0, Counter(await Counters(ca), "like0"));
        Assert.Equal(0, Counter(await Counters(cb), "like1"));
    }

    [Fact]
    public async Task Types_without_counters_and_the_no_options_count_nothing()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        await Connect(ca, b.Id, "invite");
        await Connect(ca, b.Id, "like", ("_noreference", "1"), ("_nocounter", "1"), ("_publish", "0"));
        var mine = await Counters(ca);
        var theirs = await Counters(cb);
        Assert.All(new[] { "like0", "like1", "follow0", "follow1", "ping" }, c => Assert.Equal(0, Counter(mine, c)));
        Assert.All(new[] { "like1", "follow1", "ping" }, c => Assert.Equal(0, Counter(theirs, c)));
        Assert.Equal([$"{a.Id}/invite"], await All(cb, "/reference/select"));
        Assert.Equal([$"{b.Id}/invite", $"{b.Id}/like"], await All(ca, "/connection/select"));

        // Deleting a connection that was never counted must not push the counters below zero.
        var del = await ca.Get("/connection/del", ("id", b.Id));
        Assert.Equal(2, del.Object["count"]!.GetValue<long>());
        Assert.Equal(0, Counter(await Counters(ca), "like0"));
        Assert.Equal(0, Counter(await Counters(cb), "like1"));
        Assert.Empty(await All(cb, "/reference/select"));
    }

    [Fact]
    public async Task Del_by_type_by_id_and_all()
    {
        var a = await fixture.AddAccount();
        var others = new List<TestAccount>();
        for (var i = 0; i < 3; i++) others.Add(await fixture.AddAccount());
        using var ca = fixture.Client(a);
        foreach (var o in others)
        {
            await Connect(ca, o.Id, "like");
            await Connect(ca, o.Id, "follow");
        }
        Assert.Equal(3, Counter(await Counters(ca), "like0"));
        Assert.Equal(3, Counter(await Counters(ca), "follow0"));

        var r = await ca.Get("/connection/del", ("type", "follow"));
        Assert.Equal(3, r.Object["count"]!.GetValue<long>());
        Assert.Equal(0, Counter(await Counters(ca), "follow0"));
        Assert.Equal(3, Counter(await Counters(ca), "like0"));

        r = await ca.Get("/connection/del", ("id", others[0].Id));
        Assert.Equal(1, r.Object["count"]!.GetValue<long>());
        Assert.Equal(2, Counter(await Counters(ca), "like0"));
        using (var c0 = fixture.Client(others[0])) Assert.Equal(0, Counter(await Counters(c0), "like1"));
        using (var c1 = fixture.Client(others[1])) Assert.Equal(1, Counter(await Counters(c1), "like1"));

        r = await ca.Get("/connection/del");
        Assert.Equal(2, r.Object["count"]!.GetValue<long>());
        Assert.Empty(await All(ca, "/connection/select"));
        Assert.Equal(0, Counter(await Counters(ca), "like0"));
        foreach (var o in others)
        {
            using var c = fixture.Client(o);
            Assert.Empty(await All(c, "/reference/select"));
            Assert.Equal(0, Counter(await Counters(c), "like1"));
        }
        ApiAssert.Error(await ca.Get("/connection/del", ("id", others[1].Id), ("type", "like")), 404);
    }

    [Fact]
    public async Task Update_changes_the_connection_and_its_reference()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        await Connect(ca, b.Id, "invite", ("state", "sent"));
        var r = await ca.PostForm("/connection/update", ("id", b.Id), ("type", "invite"), ("state", "accepted"));
        ApiAssert.Ok(r);
        Assert.Equal("accepted", r.Str("state"));
        Assert.Equal(b.Id, r.Str("id"));
        Assert.Equal("accepted", (await ca.Get("/connection/get", ("id", b.Id), ("type", "invite"))).Str("state"));
        Assert.Equal("accepted", (await cb.Get("/reference/get", ("id", a.Id), ("type", "invite"))).Str("state"));
        ApiAssert.Error(await ca.Get("/connection/update", ("id", b.Id), ("type", "like"), ("state", "x")), 404);
        Assert.Equal([$"{b.Id}/invite"], await All(ca, "/connection/select"));
    }

    [Fact]
    public async Task Incr_changes_only_counter_columns_of_existing_connections()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        // The built-in bk_connection has no counter column: nothing to add.
        ApiAssert.Error(await ca.Get("/connection/incr", ("id", b.Id), ("type", "like"), ("state", "1")), 400);
        ApiAssert.Error(await ca.Get("/connection/incr", ("id", b.Id), ("type", "like")), 400);
        Assert.Empty(await All(ca, "/connection/select"));
    }

    [Fact]
    public async Task Details_add_only_public_account_columns()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount(("alias", "Bee"), ("email", "bee-private@example.com"), ("phone", "555-0100"));
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var added = await Connect(ca, b.Id, "like", ("_details", "1"), ("state", "s"));
        Assert.Equal("Bee", added["alias"]!.GetValue<string>());
        Assert.Equal("s", added["state"]!.GetValue<string>());
        foreach (var r in new[]
        {
            await ca.Get("/connection/select", ("_details", "1")),
            await ca.Get("/connection/get", ("id", b.Id), ("type", "like"), ("_details", "1")),
            await cb.Get("/reference/select", ("_details", "1")),
        })
        {
            ApiAssert.Ok(r);
            Assert.DoesNotContain("bee-private", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("555-0100", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(b.Login, r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(a.Login, r.Body, StringComparison.Ordinal);
        }
        var row = (JsonObject)(await ca.Get("/connection/select", ("_details", "1"))).Data.Single()!;
        Assert.Equal("Bee", row["alias"]!.GetValue<string>());
        Assert.Equal(b.Id, row["id"]!.GetValue<string>());
        Assert.Null(row["email"]);
        var plain = (JsonObject)(await ca.Get("/connection/select")).Data.Single()!;
        Assert.Null(plain["alias"]);
        var refRow = (JsonObject)(await cb.Get("/reference/select", ("_details", "1"))).Data.Single()!;
        Assert.Equal(a.Id, refRow["id"]!.GetValue<string>());
        Assert.Equal(a.Added!["alias"]!.GetValue<string>(), refRow["alias"]!.GetValue<string>());
    }

    [Fact]
    public async Task NoProcessRows_returns_the_stored_keys()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        await Connect(ca, b.Id, "like");
        var raw = (JsonObject)(await ca.Get("/connection/select", ("_noprocessrows", "1"))).Data.Single()!;
        Assert.Equal(a.Id, raw["id"]!.GetValue<string>());
        Assert.Equal($"like:{b.Id}", raw["type"]!.GetValue<string>());
        var processed = (JsonObject)(await ca.Get("/connection/select")).Data.Single()!;
        Assert.Equal(b.Id, processed["id"]!.GetValue<string>());
        Assert.Equal("like", processed["type"]!.GetValue<string>());
        using var cb = fixture.Client(b);
        var rawRef = (JsonObject)(await cb.Get("/reference/select", ("_noprocessrows", "1"))).Data.Single()!;
        Assert.Equal(b.Id, rawRef["id"]!.GetValue<string>());
        Assert.Equal($"like:{a.Id}", rawRef["type"]!.GetValue<string>());
    }
}
