using System.Text.Json.Nodes;
using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>The counters API: get/put/incr of my record, what others may see and bump, bad input, and 200
/// parallel increments that all count.</summary>
public sealed class CounterTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] AllCounters = ["follow0", "follow1", "id", "like0", "like1", "ping"];

    [Fact]
    public async Task Get_of_a_missing_record_is_all_zero()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var counters = await Counters(client);
        Assert.Equal(AllCounters, Accounts.Keys(counters));
        Assert.Equal(a.Id, counters["id"]!.GetValue<string>());
        foreach (var name in AllCounters.Where(n => n != "id")) Assert.Equal(0, Counter(counters, name));
    }

    [Fact]
    public async Task Put_replaces_the_record()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/counter/put", ("ping", "5"), ("like0", "7"));
        ApiAssert.Ok(r);
        Assert.Equal(5, Counter(r.Object, "ping"));
        r = await client.PostForm("/counter/put", ("like1", "3"));
        ApiAssert.Ok(r);
        var counters = await Counters(client);
        Assert.Equal(0, Counter(counters, "ping"));
        Assert.Equal(0, Counter(counters, "like0"));
        Assert.Equal(3, Counter(counters, "like1"));
        ApiAssert.Error(await client.Get("/counter/put", ("ping", "abc")), 400);
        Assert.Equal(3, Counter(await Counters(client), "like1"));
    }

    [Fact]
    public async Task Incr_adds_and_subtracts()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/counter/incr", ("ping", "3"), ("like0", "2"));
        ApiAssert.Ok(r);
        Assert.Equal(3, Counter(r.Object, "ping"));
        r = await client.PostJson("/counter/incr", new JsonObject { ["ping"] = -5, ["nosuch"] = 1, ["id"] = a.Id });
        ApiAssert.Ok(r);
        var counters = await Counters(client);
        Assert.Equal(-2, Counter(counters, "ping"));
        Assert.Equal(2, Counter(counters, "like0"));
        Assert.Equal(0, Counter(counters, "follow0"));
    }

    [Fact]
    public async Task Incr_with_bad_input_is_400_and_writes_nothing()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var cases = new (string Name, string Value)[][]
        {
            [],
            [("nosuch", "1")],
            [("id", a.Id)],
            [("ping", "abc")],
            [("ping", "1.5")],
            [("ping", "")],
            [("ping", "1"), ("like0", "x")],
            [("ping", "99999999999999999999")],
        };
        foreach (var query in cases) ApiAssert.Error(await client.Get("/counter/incr", query), 400);
        var counters = await Counters(client);
        foreach (var name in AllCounters.Where(n => n != "id")) Assert.Equal(0, Counter(counters, name));
    }

    [Fact]
    public async Task Others_see_only_public_counters_and_bump_only_ping()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.Get("/counter/put", ("ping", "1"), ("like0", "123456789"), ("like1", "2"), ("follow0", "987654321"), ("follow1", "4")));

        var seen = await Counters(cb, a.Id);
        Assert.Equal(["follow1", "id", "like1", "ping"], Accounts.Keys(seen));
        Assert.Equal(2, Counter(seen, "like1"));

        var r = await cb.Get("/counter/incr", ("id", a.Id), ("ping", "10"), ("unknown", "1"));
        ApiAssert.Ok(r);
        Assert.Equal(["follow1", "id", "like1", "ping"], Accounts.Keys(r.Object));
        Assert.Equal(11, Counter(r.Object, "ping"));

        // Nothing changeable given: 400 (compat-notes: private and autoincr counters of others are ignored).
        foreach (var query in new (string, string)[][] { [("like0", "1")], [("like1", "1")], [("follow0", "1")], [("follow1", "1")] })
        {
            var denied = await cb.Get("/counter/incr", [("id", a.Id), .. query]);
            ApiAssert.Error(denied, 400);
            Assert.DoesNotContain("123456789", denied.Body, StringComparison.Ordinal);
        }
        // Mixed: the public counter is applied, the others ignored, and the reply still shows public columns only.
        foreach (var query in new (string, string)[][] { [("ping", "1"), ("like1", "1")], [("ping", "1"), ("follow0", "-1")] })
        {
            var mixed = await cb.Get("/counter/incr", [("id", a.Id), .. query]);
            ApiAssert.Ok(mixed);
            Assert.Equal(["follow1", "id", "like1", "ping"], Accounts.Keys(mixed.Object));
            Assert.DoesNotContain("123456789", mixed.Body, StringComparison.Ordinal);
        }
        var mine = await Counters(ca);
        Assert.Equal(13, Counter(mine, "ping"));
        Assert.Equal(123456789, Counter(mine, "like0"));
        Assert.Equal(2, Counter(mine, "like1"));
        Assert.Equal(987654321, Counter(mine, "follow0"));
        Assert.Equal(4, Counter(mine, "follow1"));
        // B's own record is untouched by all that.
        Assert.Equal(0, Counter(await Counters(cb), "ping"));
        ApiAssert.Error(await cb.Get("/counter/incr", ("id", Guid.NewGuid().ToString("N")), ("ping", "1")), 404);
    }

    [Fact]
    public async Task Two_hundred_parallel_increments_all_count()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        // Half by the owner, half by another account: both paths must be atomic.
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => i % 2 == 0
            ? ca.Get("/counter/incr", ("ping", "1"))
            : cb.Get("/counter/incr", ("id", a.Id), ("ping", "1"))));
        Assert.All(replies, ApiAssert.Ok);
        Assert.Equal(200, Counter(await Counters(ca), "ping"));
        Assert.Equal(200, replies.Max(r => Counter(r.Object, "ping")));
    }
}
