using System.Globalization;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>The security sweep over the social APIs: account A has private profile columns, private counters, a
/// location, connections, messages and a status; account B then calls every connections, references, counters,
/// locations, messages, status and data endpoint that can name A, and no reply may carry A's private values, A's
/// exact coordinates, A's private counters or A's messages to or from a third account.</summary>
public sealed class SocialPrivacyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] PrivateColumns = ["name", "email", "phone", "address", "city", "zipcode"];
    private static readonly string[] PrivateCounters = ["like0", "follow0"];

    [Fact]
    public async Task Second_account_sees_nothing_private_of_the_first_on_any_social_endpoint()
    {
        var tag = Guid.NewGuid().ToString("N");
        var privateValues = PrivateColumns.ToDictionary(c => c, c => $"PRIV{tag}{c}");
        var a = await fixture.AddAccount([.. privateValues.Select(kv => (kv.Key, kv.Value)), ("alias", "pub" + tag)]);
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var asA = fixture.Client(a);
        using var asB = fixture.Client(b);
        using var asC = fixture.Client(c);

        // A somewhere random (so earlier runs' accounts are not around), B and C nearby.
        var rnd = Random.Shared;
        var lat = Math.Round(-60 + rnd.NextDouble() * 120, 6);
        var lon = Math.Round(-170 + rnd.NextDouble() * 340, 6);
        string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        ApiAssert.Ok(await asA.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon))));
        ApiAssert.Ok(await asB.Get("/location/put", ("latitude", Num(lat + 0.01)), ("longitude", Num(lon))));

        // A's private activity: likes and follows C (private like0/follow0), messages with C, a status.
        ApiAssert.Ok(await asA.Get("/connection/add", ("id", c.Id), ("type", "like")));
        ApiAssert.Ok(await asA.Get("/connection/add", ("id", c.Id), ("type", "follow")));
        var toC = "MSGTOC" + tag;
        var fromC = "MSGFROMC" + tag;
        ApiAssert.Ok(await asA.Get("/message/add", ("id", c.Id), ("msg", toC)));
        ApiAssert.Ok(await asC.Get("/message/add", ("id", a.Id), ("msg", fromC)));
        ApiAssert.Ok(await asA.Get("/status/put", ("status", "online")));
        // B connects to A so the connection/reference endpoints have A in them.
        ApiAssert.Ok(await asB.Get("/connection/add", ("id", a.Id), ("type", "like")));
        ApiAssert.Ok(await asA.Get("/connection/add", ("id", b.Id), ("type", "like")));

        var inbox = await asA.Get("/message/get");
        ApiAssert.Ok(inbox);
        var mtime = inbox.Data.Select(r => r!["mtime"]!.ToString()).First();

        var secrets = privateValues.Values.Append(a.Login).Append(a.Secret).Append(toC).Append(fromC)
            .Append(Num(lat)).Append(Num(lon)).ToList();
        var calls = new List<(string What, Func<Task<ApiResponse>> Call)>
        {
            ("counter/get id=A", () => asB.Get("/counter/get", ("id", a.Id))),
            ("counter/incr id=A ping", () => asB.Get("/counter/incr", ("id", a.Id), ("ping", "1"))),
            ("connection/get A", () => asB.Get("/connection/get", ("id", a.Id), ("type", "like"), ("_details", "1"))),
            ("connection/get A connected", () => asB.Get("/connection/get", ("id", a.Id), ("type", "like"), ("_connected", "1"))),
            ("connection/select details", () => asB.Get("/connection/select", ("_details", "1"))),
            ("connection/add connected", () => asB.Get("/connection/put", ("id", a.Id), ("type", "like"), ("_connected", "1"), ("_details", "1"))),
            ("reference/select details", () => asB.Get("/reference/select", ("_details", "1"))),
            ("reference/get A", () => asB.Get("/reference/get", ("id", a.Id), ("type", "like"), ("_details", "1"))),
            ("location/get", () => asB.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "10"))),
            ("location/get details", () => asB.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "10"), ("_details", "1"))),
            ("status/get id=A", () => asB.Get("/status/get", ("id", a.Id))),
            ("message/get", () => asB.Get("/message/get", ("_details", "1"))),
            ("message/get sender=A", () => asB.Get("/message/get", ("sender", a.Id))),
            ("message/get/archive", () => asB.Get("/message/get/archive", ("sender", c.Id))),
            ("message/get/sent", () => asB.Get("/message/get/sent", ("recipient", c.Id))),
            ("message/image A's", () => asB.Get("/message/image", ("sender", c.Id), ("mtime", mtime))),
            ("data/get bk_account", () => asB.Get("/data/get/bk_account", ("id", a.Id))),
            ("data/select bk_counter", () => asB.Get("/data/select/bk_counter", ("id", a.Id))),
            ("data/columns", () => asB.Get("/data/columns")),
        };
        var replies = new Dictionary<string, ApiResponse>(StringComparer.Ordinal);
        foreach (var (what, call) in calls)
        {
            var r = replies[what] = await call();
            Assert.True(r.Status < 500, $"{what}: {r}");
            foreach (var s in secrets)
                Assert.False(r.Body.Contains(s, StringComparison.Ordinal), $"{what} leaked '{s}': {r}");
            foreach (var row in Rows(r.Json).Where(o => (string?)o["id"] == a.Id))
            {
                foreach (var col in PrivateColumns.Concat(PrivateCounters).Append("latitude").Append("longitude").Append("geohash"))
                    Assert.False(row.ContainsKey(col), $"{what} sent A's {col}: {r}");
            }
        }

        // The sweep is not vacuous: B does see A where A is public.
        Assert.Contains(replies["location/get"].Data, r => (string?)r!["id"] == a.Id);
        var counters = replies["counter/get id=A"].Json!.AsObject();
        Assert.True(counters.ContainsKey("like1") && counters.ContainsKey("ping"), counters.ToJsonString());
        Assert.Equal("pub" + tag, (string?)replies["connection/get A"].Json!["alias"]);
        Assert.Equal(403, replies["data/get bk_account"].Status);
        Assert.Equal(404, replies["message/image A's"].Status);
    }

    /// <summary>Every JSON object in a reply, however nested.</summary>
    private static IEnumerable<JsonObject> Rows(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                yield return o;
                foreach (var (_, v) in o)
                    foreach (var r in Rows(v)) yield return r;
                break;
            case JsonArray a:
                foreach (var v in a)
                    foreach (var r in Rows(v)) yield return r;
                break;
        }
    }
}
