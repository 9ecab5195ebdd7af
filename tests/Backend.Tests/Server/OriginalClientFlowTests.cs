using System.Globalization;
using System.Text.Json.Nodes;
using Backend.Tests.Geo;
using static Backend.Tests.Server.MessageTestSupport;
using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>A 2014 client of the original, end to end against a real server (issue 14, point 9): register with
/// <c>/account/add</c>, log in with a signed <c>/account/get</c>, connect to another account, counters, messages with
/// and without an image, a note to oneself, and locating with <c>/location/put</c> and <c>/location/get</c>, in the
/// order the original's client made those calls. Lives in the Server namespace so that scripts/test runs it on every
/// database pool like the other black-box tests.</summary>
public sealed class OriginalClientFlowTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_2014_client_registers_logs_in_connects_counts_messages_and_locates()
    {
        // Register: an unsigned /account/add form, as the original's client posted it; the reply is the record, never
        // the secret.
        var tag = Guid.NewGuid().ToString("N")[..8];
        var a = await fixture.AddAccount(("name", "Ann " + tag), ("alias", "ann" + tag), ("birthday", "1990-05-17"));
        var b = await fixture.AddAccount(("name", "Bob " + tag), ("alias", "bob" + tag));
        Assert.Null(a.Added!["secret"]);
        Assert.Equal("ann" + tag, a.Added["alias"]!.ToString());

        // Log in: a signed /account/get returns the whole own record (no secret) with the computed age.
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var me = await ca.Get("/account/get");
        ApiAssert.Ok(me);
        Assert.Equal(a.Id, me.Str("id"));
        Assert.Equal(a.Login, me.Str("login"));
        Assert.Equal("Ann " + tag, me.Str("name"));
        Assert.Null(me.Object["secret"]);
        var born = new DateTimeOffset(1990, 5, 17, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal((long)Math.Floor((DateTimeOffset.UtcNow - born).TotalDays / 365), me.Object["age"]!.GetValue<long>());
        // Wrong secret: 401; other accounts by id: public columns only.
        using var wrong = fixture.Client(a with { Secret = "not-" + a.Secret });
        ApiAssert.Error(await wrong.Get("/account/get"), 401);
        var bob = (await ca.Get("/account/get", ("id", b.Id))).Array.Single()!;
        Assert.Equal(["alias", "id"], Accounts.Keys(bob));

        // Counters: registration wrote them, all 0.
        foreach (var c in new[] { ca, cb })
        {
            var counters = await Counters(c);
            foreach (var name in new[] { "ping", "like0", "like1", "follow0", "follow1" }) Assert.Equal(0, Counter(counters, name));
        }

        // Connect: A likes B; the reference and the like counters follow.
        var liked = await Connect(ca, b.Id, "like");
        Assert.Equal(b.Id, liked["id"]!.ToString());
        Assert.Equal([$"{b.Id}/like"], await All(ca, "/connection/select", ("type", "like")));
        Assert.Equal([$"{a.Id}/like"], await All(cb, "/reference/select"));
        Assert.Equal(1, Counter(await Counters(ca), "like0"));
        Assert.Equal(1, Counter(await Counters(cb), "like1"));

        // Bump B's counters as the original's client did: the public ping counts, like1 (autoincr, owned by the
        // connections API) and follow0 (private) are ignored, not 403.
        var bumped = await ca.Get("/counter/incr", ("id", b.Id), ("ping", "1"), ("like1", "5"), ("follow0", "5"));
        ApiAssert.Ok(bumped);
        Assert.Equal(1, Counter(bumped.Object, "ping"));
        Assert.Null(bumped.Object["follow0"]);
        ApiAssert.Error(await ca.Get("/counter/incr", ("id", b.Id), ("follow0", "1")), 400);
        var bCounters = await Counters(cb);
        Assert.Equal(1, Counter(bCounters, "ping"));
        Assert.Equal(1, Counter(bCounters, "like1"));
        Assert.Equal(0, Counter(bCounters, "follow0"));
        ApiAssert.Ok(await ca.Get("/counter/incr", ("ping", "2")));
        Assert.Equal(2, Counter(await Counters(ca), "ping"));

        // Messages: text by GET, text and image by POST form (base64 icon), image only by GET.
        var photo = Png(3_000);
        var small = Png(600);
        await Send(ca, b.Id, "hi " + tag);
        ApiAssert.Ok(await ca.PostForm("/message/add", ("id", b.Id), ("msg", "look " + tag), ("icon", Convert.ToBase64String(photo))));
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(small))));
        var inbox = await Box(cb, "/message/get");
        Assert.Equal(3, inbox.Count);
        Assert.All(inbox, m => Assert.Equal(a.Id, m["sender"]!.ToString()));
        Assert.All(inbox, m => Assert.True(m["mtime"]!.GetValue<long>() > 0));
        Assert.Equal(["hi " + tag, "look " + tag], inbox.Where(m => m["msg"] is not null).Select(m => m["msg"]!.ToString()).Order(StringComparer.Ordinal));
        var images = inbox.Where(m => m["icon"] is not null).ToList();
        Assert.Equal(2, images.Count);
        foreach (var m in images)
        {
            Assert.StartsWith("/message/image?", m["icon"]!.ToString(), StringComparison.Ordinal);
            var (status, type, body) = await GetBytes(cb, m["icon"]!.ToString());
            Assert.Equal(200, status);
            Assert.Equal("image/png", type);
            Assert.Equal(Stored(m["msg"] is null ? small : photo), body);
        }
        // The sender's sent box has the same three, with the recipient and working image links.
        var sent = await Box(ca, "/message/get/sent");
        Assert.Equal(3, sent.Count);
        Assert.All(sent, m => Assert.Equal(b.Id, m["recipient"]!.ToString()));
        foreach (var m in sent.Where(m => m["icon"] is not null)) Assert.Equal(200, (await GetBytes(ca, m["icon"]!.ToString())).Status);
        // B reads and archives them; the inbox is then empty and the archive holds them.
        Assert.Equal(3, (await Box(cb, "/message/get", ("_archive", "1"))).Count);
        Assert.Empty(await Box(cb, "/message/get"));
        Assert.Equal(3, (await Box(cb, "/message/get/archive")).Count);

        // A note to oneself, text by GET and text with an image by POST: one's own inbox and sent box.
        await Send(ca, a.Id, "note " + tag);
        ApiAssert.Ok(await ca.PostForm("/message/add", ("id", a.Id), ("msg", "note with photo " + tag), ("icon", Convert.ToBase64String(small))));
        var notes = await Box(ca, "/message/get");
        Assert.Equal(2, notes.Count);
        Assert.All(notes, m => Assert.Equal(a.Id, m["sender"]!.ToString()));
        var noteImage = Assert.Single(notes, m => m["icon"] is not null);
        Assert.Equal(Stored(small), (await GetBytes(ca, noteImage["icon"]!.ToString())).Body);
        Assert.Equal(5, (await Box(ca, "/message/get/sent")).Count);

        // Locate: both put their position, about 2 km apart around a random point (the database may hold other runs'
        // rows); each finds the other, never itself, without coordinates. No coordinates in the get: 400.
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var (blat, blon) = GeoTestPoints.Destination(lat, lon, 45, 2);
        var put = await ca.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon)));
        ApiAssert.Ok(put);
        Assert.False(string.IsNullOrEmpty(put.Str("geohash")));
        ApiAssert.Ok(await cb.Get("/location/put", ("latitude", Num(blat)), ("longitude", Num(blon))));
        ApiAssert.Error(await ca.Get("/location/get"), 400, "latitude/longitude are required");
        foreach (var (client, self, other, olat, olon) in new[] { (ca, a, b, lat, lon), (cb, b, a, blat, blon) })
        {
            var near = await client.Get("/location/get", ("latitude", Num(olat)), ("longitude", Num(olon)), ("distance", "10"));
            ApiAssert.Ok(near);
            Assert.DoesNotContain(near.Data, r => r!["id"]!.ToString() == self.Id);
            var row = Assert.Single(near.Data, r => r!["id"]!.ToString() == other.Id)!;
            Assert.Equal(["alias", "distance", "id"], Accounts.Keys(row));
            Assert.InRange(row["distance"]!.GetValue<double>(), 0.5, 3.5);
        }
        // The own record shows the stored position, updated only through /location/put.
        me = await ca.Get("/account/get");
        Assert.Equal(lat, me.Object["latitude"]!.GetValue<double>(), 6);
        Assert.Equal(lon, me.Object["longitude"]!.GetValue<double>(), 6);

        // Icons, as the original client uploads and shows them: by GET with base64 and by POST form, listed, fetched
        // by the owner and, shared with auth, by the other account.
        ApiAssert.Ok(await ca.Get("/account/put/icon", ("type", "0"), ("icon", Convert.ToBase64String(Png(800))), ("acl_allow", "auth")));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "1"), ("icon", Convert.ToBase64String(Png(800)))));
        var icons = (await ca.Get("/account/select/icon")).Array;
        Assert.Equal(["0", "1"], icons.Select(i => i!["type"]!.ToString()).Order(StringComparer.Ordinal));
        foreach (var icon in icons) Assert.Equal(200, (await GetBytes(ca, icon!["url"]!.ToString())).Status);
        var shared = await GetBytes(cb, $"/account/get/icon?id={a.Id}&type=0");
        Assert.Equal(200, shared.Status);
        Assert.Equal("image/jpeg", shared.ContentType);
        Assert.Equal(404, (await GetBytes(cb, $"/account/get/icon?id={a.Id}&type=1")).Status);
        // The next /account/get shows them as iconN with the URL of each (compat-notes.md, "Icons"): the owner both,
        // B only the one shared with auth; each URL serves the icon's bytes.
        me = await ca.Get("/account/get");
        var escaped = Uri.EscapeDataString(a.Id);
        Assert.Equal($"/image/account/{escaped}/0", me.Str("icon0"));
        Assert.Equal($"/image/account/{escaped}/1", me.Str("icon1"));
        foreach (var type in new[] { "0", "1" })
        {
            var (status, _, body) = await GetBytes(ca, me.Str("icon" + type)!);
            Assert.Equal(200, status);
            Assert.Equal((await GetBytes(ca, $"/account/get/icon?type={type}")).Body, body);
        }
        var annSeenByBob = (await cb.Get("/account/get", ("id", a.Id))).Array.Single()!;
        Assert.Equal(["alias", "icon0", "id"], Accounts.Keys(annSeenByBob));
        Assert.Equal(shared.Body, (await GetBytes(cb, annSeenByBob["icon0"]!.ToString())).Body);
    }
}
