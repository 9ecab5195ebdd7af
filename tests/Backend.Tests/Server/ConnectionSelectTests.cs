using System.Text.Json.Nodes;
using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary><c>/connection/select</c> and <c>/reference/select</c>: by type, by id, all; paging with next_token
/// visits every row once; <c>_desc</c>, <c>_ops</c>, <c>_select</c>; never another account's rows.</summary>
public sealed class ConnectionSelectTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private async Task<(TestAccount Me, List<TestAccount> Others)> Network(int n, params string[] types)
    {
        var me = await fixture.AddAccount();
        var others = new List<TestAccount>();
        using var client = fixture.Client(me);
        for (var i = 0; i < n; i++)
        {
            var o = await fixture.AddAccount();
            others.Add(o);
            foreach (var t in types) await Connect(client, o.Id, t);
        }
        return (me, others);
    }

    [Fact]
    public async Task Paging_visits_every_connection_once()
    {
        var (me, others) = await Network(10, "like");
        using var client = fixture.Client(me);
        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var r = await client.Get("/connection/select", ("type", "like"), ("_count", "3"), ("_start", token));
            ApiAssert.Ok(r);
            Assert.True(r.Data.Count <= 3, r.ToString());
            seen.AddRange(r.Data.Select(x => x!["id"]!.GetValue<string>()));
            token = r.NextToken;
            pages++;
        }
        while (token.Length > 0 && pages < 20);
        Assert.Equal(others.Select(o => o.Id).Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.InRange(pages, 4, 5);

        // The same through _token, and on the references of one target.
        var first = await client.Get("/connection/select", ("_count", "4"));
        Assert.Equal(4, first.Data.Count);
        var second = await client.Get("/connection/select", ("_count", "100"), ("_token", first.NextToken));
        Assert.Equal(6, second.Data.Count);
        Assert.Empty(first.Data.Select(x => x!["id"]!.ToString()).Intersect(second.Data.Select(x => x!["id"]!.ToString())));
    }

    [Fact]
    public async Task Desc_reverses_the_order()
    {
        var (me, _) = await Network(4, "like");
        using var client = fixture.Client(me);
        var asc = (await client.Get("/connection/select", ("type", "like"))).Data.Select(x => x!["id"]!.GetValue<string>()).ToList();
        var desc = (await client.Get("/connection/select", ("type", "like"), ("_desc", "1"))).Data.Select(x => x!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(4, asc.Count);
        Assert.Equal(asc.Order(StringComparer.Ordinal), asc);
        Assert.Equal(Enumerable.Reverse(asc), desc);
    }

    [Fact]
    public async Task Select_by_type_by_id_and_all()
    {
        var (me, others) = await Network(3, "like", "follow");
        using var client = fixture.Client(me);
        Assert.Equal(6, (await All(client, "/connection/select")).Count);
        Assert.Equal(3, (await All(client, "/connection/select", ("type", "follow"))).Count);
        Assert.Empty(await All(client, "/connection/select", ("type", "fol")));
        Assert.Equal([$"{others[1].Id}/follow", $"{others[1].Id}/like"], await All(client, "/connection/select", ("id", others[1].Id)));
        var one = await client.Get("/connection/select", ("id", others[2].Id), ("type", "like"));
        Assert.Equal($"{others[2].Id}/like", Assert.Single(one.Data.Select(x => $"{x!["id"]}/{x["type"]}")));
        Assert.Equal("", one.NextToken);
        Assert.Empty((await client.Get("/connection/select", ("id", me.Id), ("type", "like"))).Data);

        // Each target sees exactly the two references from me.
        using var target = fixture.Client(others[0]);
        Assert.Equal([$"{me.Id}/follow", $"{me.Id}/like"], await All(target, "/reference/select"));
        Assert.Equal([$"{me.Id}/like"], await All(target, "/reference/select", ("type", "like")));
        Assert.Empty(await All(target, "/connection/select"));
    }

    [Fact]
    public async Task Operators_filter_by_mtime_and_state()
    {
        var me = await fixture.AddAccount();
        var early = await fixture.AddAccount();
        var late = await fixture.AddAccount();
        using var client = fixture.Client(me);
        var first = await Connect(client, early.Id, "like", ("state", "old"));
        await Task.Delay(20, TestContext.Current.CancellationToken);
        var second = await Connect(client, late.Id, "like", ("state", "fresh"));
        var t1 = first["mtime"]!.GetValue<long>();
        Assert.True(second["mtime"]!.GetValue<long>() > t1);

        var after = await client.Get("/connection/select", ("type", "like"), ("mtime", t1.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("_ops", "mtime,gt"));
        ApiAssert.Ok(after);
        Assert.Equal([late.Id], after.Data.Select(x => x!["id"]!.GetValue<string>()));
        var before = await client.Get("/connection/select", ("mtime", t1.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("_ops", "mtime,le"));
        Assert.Equal([early.Id], before.Data.Select(x => x!["id"]!.GetValue<string>()));
        var byState = await client.Get("/connection/select", ("state", "fresh"));
        Assert.Equal([late.Id], byState.Data.Select(x => x!["id"]!.GetValue<string>()));

        // Operators on the keys cannot widen the search to other owners.
        var sneaky = await client.Get("/connection/select", ("id", ""), ("_ops", "id,ne,type,ne"), ("type", ""));
        ApiAssert.Ok(sneaky);
        Assert.Equal(new[] { early.Id, late.Id }.Order(StringComparer.Ordinal), sneaky.Data.Select(x => x!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Select_returns_the_asked_columns_and_the_keys()
    {
        var (me, others) = await Network(1, "like");
        using var client = fixture.Client(me);
        var r = await client.Get("/connection/select", ("_select", "mtime"));
        var row = (JsonObject)r.Data.Single()!;
        Assert.Equal(["id", "mtime", "type"], Accounts.Keys(row));
        Assert.Equal(others[0].Id, row["id"]!.GetValue<string>());
        Assert.Equal("like", row["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Types_that_look_like_patterns_match_only_themselves()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var client = fixture.Client(me);
        string[] types = ["like", "l_ke", "l%ke", "LIKE", "lik", "like2", "l*ke", "l'ke"];
        foreach (var t in types) await Connect(client, other.Id, t);
        foreach (var t in types)
        {
            Assert.Equal([$"{other.Id}/{t}"], await All(client, "/connection/select", ("type", t)));
            var del = await client.Get("/connection/del", ("type", t));
            Assert.Equal(1, del.Object["count"]!.GetValue<long>());
        }
        Assert.Empty(await All(client, "/connection/select"));
        using var target = fixture.Client(other);
        Assert.Empty(await All(target, "/reference/select"));
    }

    [Fact]
    public async Task Overlong_ids_are_refused()
    {
        var me = await fixture.AddAccount();
        using var client = fixture.Client(me);
        var id = new string('x', 300);
        foreach (var path in new[] { "/connection/select", "/reference/select", "/connection/del", "/counter/get" })
        {
            var r = await client.Get(path, ("id", id));
            ApiAssert.Error(r, 400);
        }
    }
}
