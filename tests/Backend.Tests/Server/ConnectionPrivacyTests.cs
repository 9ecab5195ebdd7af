using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>The security sweep of the connection and counter endpoints: account B calls each of them about
/// account A (with every option that adds data) and no reply carries A's private account columns, A's private
/// counters, or anything of A's own connections to third accounts.</summary>
public sealed class ConnectionPrivacyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Another_account_never_sees_private_columns_or_counters()
    {
        var tag = Guid.NewGuid().ToString("N");
        var secrets = new[] { "name", "email", "phone", "status", "city", "state", "country" }.ToDictionary(c => c, c => $"PRIV{tag}{c}");
        var a = await fixture.AddAccount([.. secrets.Select(kv => (kv.Key, kv.Value)), ("alias", "pub" + tag)]);
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        // A's own connection to C, with a private state only A and C may see.
        await Connect(ca, c.Id, "like", ("state", $"CSTATE{tag}"));
        // A and B connected both ways, so B's reads have something about A to show.
        await Connect(ca, b.Id, "follow", ("state", "ab"));
        await Connect(cb, a.Id, "follow", ("state", "ba"));
        // Distinctive private counters (after the connections, which bump like0/follow0).
        ApiAssert.Ok(await ca.Get("/counter/put", ("like0", "700001"), ("follow0", "700002"), ("ping", "3")));

        var options = new (string, string)[] { ("_details", "1"), ("_connected", "1"), ("_select", "id,type,state,mtime,name,email,like0,follow0") };
        var calls = new List<(string What, Func<Task<ApiResponse>> Call)>
        {
            ("counter get", () => cb.Get("/counter/get", ("id", a.Id))),
            ("counter get select", () => cb.Get("/counter/get", ("id", a.Id), ("_select", "like0,follow0"))),
            ("counter incr", () => cb.Get("/counter/incr", ("id", a.Id), ("ping", "1"))),
            ("counter incr private", () => cb.Get("/counter/incr", ("id", a.Id), ("like0", "1"))),
            ("counter put", () => cb.Get("/counter/put", ("id", a.Id), ("like0", "1"))),
            ("connection select", () => cb.Get("/connection/select", options)),
            ("connection select id=A", () => cb.Get("/connection/select", [("id", a.Id), .. options])),
            ("connection select id=C", () => cb.Get("/connection/select", [("id", c.Id), .. options])),
            ("connection get", () => cb.Get("/connection/get", [("id", a.Id), ("type", "follow"), .. options])),
            ("connection get C", () => cb.Get("/connection/get", [("id", c.Id), ("type", "like"), .. options])),
            ("reference select", () => cb.Get("/reference/select", options)),
            ("reference select raw", () => cb.Get("/reference/select", ("_noprocessrows", "1"), ("_details", "1"))),
            ("reference get", () => cb.Get("/reference/get", [("id", a.Id), ("type", "follow"), .. options])),
            ("connection put", () => cb.Get("/connection/put", [("id", a.Id), ("type", "follow"), ("state", "ba"), .. options])),
            ("connection update", () => cb.Get("/connection/update", ("id", a.Id), ("type", "follow"), ("state", "ba"))),
            ("connection add C", () => cb.Get("/connection/add", [("id", c.Id), ("type", "like"), .. options])),
            ("json select", () => cb.PostJson("/connection/select", new System.Text.Json.Nodes.JsonObject { ["_details"] = 1, ["id"] = a.Id })),
        };
        foreach (var (what, call) in calls)
        {
            var r = await call();
            Assert.True(r.Status is 200 or 400 or 403 or 404 or 409, $"{what}: {r}");
            foreach (var s in secrets.Values.Append(a.Login).Append($"CSTATE{tag}").Append("700001").Append("700002"))
                Assert.False(r.Body.Contains(s, StringComparison.Ordinal), $"{what} leaked '{s}': {r}");
        }
        // B's writes changed only public, non-autoincr counters of A, and B's own rows.
        var mine = await Counters(ca);
        Assert.Equal(700001, Counter(mine, "like0"));
        Assert.Equal(700002, Counter(mine, "follow0"));
        Assert.Equal(4, Counter(mine, "ping"));
    }
}
