namespace Backend.Tests.Server;

/// <summary><c>/account/del</c> removes what the modules keep about the account: its connections and the ones
/// others made to it (with their references and counters), its counters, status, location and mailboxes.</summary>
public sealed class AccountDeletionTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task Deleting_an_account_removes_its_links_and_gives_others_their_counters_back()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var asA = fixture.Client(a);
        using var asB = fixture.Client(b);
        using var asC = fixture.Client(c);
        ApiAssert.Ok(await asA.Get("/connection/add", ("id", b.Id), ("type", "like")));
        ApiAssert.Ok(await asC.Get("/connection/add", ("id", a.Id), ("type", "like")));
        ApiAssert.Ok(await asC.Get("/connection/add", ("id", b.Id), ("type", "like")));
        ApiAssert.Ok(await asA.Get("/status/put", ("status", "here")));
        Assert.Equal(2L, (long)(await asB.Get("/counter/get")).Json!["like1"]!);
        Assert.Equal(2L, (long)(await asC.Get("/counter/get")).Json!["like0"]!);

        ApiAssert.Ok(await asA.Get("/account/del"));

        // B was liked by A and C: only C's like remains; C liked A and B: only B remains.
        var bCounters = await asB.Get("/counter/get");
        Assert.Equal(1L, (long)bCounters.Json!["like1"]!);
        var cCounters = await asC.Get("/counter/get");
        Assert.Equal(1L, (long)cCounters.Json!["like0"]!);
        var bRefs = await asB.Get("/reference/select");
        Assert.DoesNotContain(bRefs.Data, r => (string?)r!["id"] == a.Id);
        Assert.Contains(bRefs.Data, r => (string?)r!["id"] == c.Id);
        var cConns = await asC.Get("/connection/select");
        Assert.DoesNotContain(cConns.Data, r => (string?)r!["id"] == a.Id);
        ApiAssert.Error(await asC.Get("/connection/get", ("id", a.Id), ("type", "like")), 404);
        var status = await asB.Get("/status/get", ("id", a.Id));
        ApiAssert.Ok(status);
        Assert.False((bool)status.Json!["online"]!);
        Assert.Null(status.Json!["status"]);
    }

    [Fact]
    public async Task Deleting_an_account_empties_its_mailboxes_but_keeps_what_it_sent_to_others()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var asA = fixture.Client(a);
        using var asB = fixture.Client(b);
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Ok(await asA.Get("/message/add", ("id", b.Id), ("msg", "from a")));
        ApiAssert.Ok(await asB.Get("/message/add", ("id", a.Id), ("msg", "to a")));
        ApiAssert.Ok(await asB.Get("/message/add", ("id", a.Id), ("msg", "to a, archived")));
        var inbox = await asA.Get("/message/get", ("_archive", "1"));
        Assert.Equal(2, inbox.Data.Count);
        ApiAssert.Ok(await asB.Get("/message/add", ("id", a.Id), ("msg", "to a, new")));
        foreach (var table in new[] { "bk_message", "bk_archive", "bk_sent" })
            Assert.NotEmpty((await admin.Get($"/data/select/{table}", ("id", a.Id))).Data);

        ApiAssert.Ok(await asA.Get("/account/del"));

        foreach (var table in new[] { "bk_message", "bk_archive", "bk_sent" })
            Assert.Empty((await admin.Get($"/data/select/{table}", ("id", a.Id))).Data);
        var kept = await asB.Get("/message/get", ("sender", a.Id));
        Assert.Equal("from a", (string?)Assert.Single(kept.Data)!["msg"]);
        Assert.Equal(3, (await asB.Get("/message/get/sent", ("recipient", a.Id))).Data.Count);
    }

    [Fact]
    public async Task A_deleted_account_is_no_longer_found_near_its_location()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var asA = fixture.Client(a);
        using var asB = fixture.Client(b);
        // Somewhere random, so no other test's accounts are around.
        var lat = Math.Round(-50 + Random.Shared.NextDouble() * 100, 5);
        var lon = Math.Round(-170 + Random.Shared.NextDouble() * 340, 5);
        string Num(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        ApiAssert.Ok(await asA.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon))));
        var before = await asB.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "10"));
        Assert.Contains(before.Data, r => (string?)r!["id"] == a.Id);

        ApiAssert.Ok(await asA.Get("/account/del"));

        var after = await asB.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "10"));
        ApiAssert.Ok(after);
        Assert.DoesNotContain(after.Data, r => (string?)r!["id"] == a.Id);
        // Searches skip accounts that are gone anyway; the row itself must be gone too (default -min-distance: 4 characters).
        using var admin = fixture.Client(fixture.Admin);
        var rows = await admin.Get("/data/select/bk_location", ("geohash", Backend.Geo.Geohash.Encode(lat, lon, 4)), ("id", a.Id));
        ApiAssert.Ok(rows);
        Assert.Empty(rows.Data);
    }
}
