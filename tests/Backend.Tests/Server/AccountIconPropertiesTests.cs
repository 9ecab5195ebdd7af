using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>The <c>iconN</c> properties of <c>/account/get</c> (issue 14): an uploaded account icon of type N shows as
/// <c>iconN</c> = <c>/image/account/ID/N</c> to whoever its <c>acl_allow</c> lets see it, goes away with the icon and
/// with <c>-api-disable icon</c>; the summary column behind them (<c>bk_account.icons</c>) never shows. Runs on every
/// pool.</summary>
public sealed class AccountIconPropertiesTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static string Jpeg() => Convert.ToBase64String(Images.TestImages.Photo(24, 16));

    private static string Url(TestAccount owner, string type) => $"/image/account/{Uri.EscapeDataString(owner.Id)}/{type}";

    /// <summary>The names of the iconN properties of an account row, sorted.</summary>
    private static string[] IconProperties(JsonNode? row) =>
        [.. Accounts.Keys(row).Where(k => k.Length == 5 && k.StartsWith("icon", StringComparison.Ordinal))];

    private static string[] Icon5(bool shown) => shown ? ["icon5"] : [];

    private static async Task<JsonNode> Other(BackendClient viewer, TestAccount owner) =>
        (await viewer.Get("/account/get", ("id", owner.Id))).Array.Single(r => r!["id"]!.ToString() == owner.Id)!;

    [Fact]
    public async Task Icons_of_different_types_uploaded_at_once_all_show()
    {
        var a = await fixture.AddAccount();
        string[] types = ["0", "1", "2", "3", "4", "5", "6", "7"];
        // One client each, so the uploads run side by side on the server. (The race AccountIconSummary re-reads for, two
        // rebuilds each reading the icons before the other's row is in, did not show here even without the re-read:
        // image processing spaces the rebuilds out; this checks the outcome, not that interleaving.)
        var clients = types.Select(_ => fixture.Client(a)).ToArray();
        try
        {
            var puts = await Task.WhenAll(types.Select((t, i) => clients[i].PostForm("/account/put/icon", ("type", t), ("icon", Jpeg()))));
            foreach (var put in puts) ApiAssert.Ok(put);
            Assert.Equal(types.Select(t => "icon" + t), IconProperties((await clients[0].Get("/account/get")).Object));
            var dels = await Task.WhenAll(types.Take(4).Select((t, i) => clients[i].Get("/account/del/icon", ("type", t))));
            foreach (var del in dels) ApiAssert.Ok(del);
            Assert.Equal(types.Skip(4).Select(t => "icon" + t), IconProperties((await clients[0].Get("/account/get")).Object));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task An_uploaded_icon_is_an_iconN_property_whose_URL_serves_it_until_it_is_deleted()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Assert.Empty(IconProperties((await ca.Get("/account/get")).Object));

        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "5"), ("icon", Jpeg())));
        var me = await ca.Get("/account/get");
        ApiAssert.Ok(me);
        Assert.Equal(["icon5"], IconProperties(me.Object));
        Assert.Equal(Url(a, "5"), me.Str("icon5"));
        // By id too, the own record has it.
        Assert.Equal(Url(a, "5"), (await Other(ca, a))["icon5"]!.ToString());

        var (status, type, body) = await GetBytes(ca, me.Str("icon5")!);
        Assert.Equal(200, status);
        Assert.Equal("image/jpeg", type);
        Assert.Equal((await GetBytes(ca, "/account/get/icon?type=5")).Body, body);

        // A second type adds a property; a replaced icon keeps its one.
        ApiAssert.Ok(await ca.Get("/account/put/icon", ("type", "z"), ("icon", Jpeg())));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "5"), ("icon", Jpeg())));
        me = await ca.Get("/account/get");
        Assert.Equal(["icon5", "iconz"], IconProperties(me.Object));
        Assert.Equal(Url(a, "z"), me.Str("iconz"));

        ApiAssert.Ok(await ca.Get("/account/del/icon", ("type", "5")));
        me = await ca.Get("/account/get");
        Assert.Equal(["iconz"], IconProperties(me.Object));
        ApiAssert.Ok(await ca.Get("/account/del/icon", ("type", "z")));
        Assert.Empty(IconProperties((await ca.Get("/account/get")).Object));
        Assert.Empty(IconProperties(await Other(ca, a)));
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("all", true, true)]
    [InlineData("auth", true, true)]
    [InlineData("B", true, false)]
    [InlineData("X,B", true, false)]
    [InlineData("X", false, false)]
    public async Task Another_account_sees_iconN_only_when_the_acl_allows_it(string acl, bool bSees, bool cSees)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var cc = fixture.Client(c);
        var x = await fixture.AddAccount();
        var given = acl.Replace("B", b.Id, StringComparison.Ordinal).Replace("X", x.Id, StringComparison.Ordinal);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "5"), ("icon", Jpeg()), ("acl_allow", given)));
        Assert.Equal(Url(a, "5"), (await ca.Get("/account/get")).Str("icon5"));
        foreach (var (client, sees) in new[] { (cb, bSees), (cc, cSees) })
        {
            var row = await Other(client, a);
            Assert.Equal(Icon5(sees), IconProperties(row));
            if (sees) Assert.Equal(Url(a, "5"), row["icon5"]!.ToString());
            // The property is shown exactly when its URL answers.
            Assert.Equal(sees ? 200 : 404, (await GetBytes(client, Url(a, "5"))).Status);
            // In a list of several accounts too, and the viewer's own record is not affected by it.
            var both = (await client.Get("/account/get", ("id", $"{a.Id},{client.Account!.Id}"))).Array;
            Assert.Equal(Icon5(sees), IconProperties(both.Single(r => r!["id"]!.ToString() == a.Id)));
            Assert.Empty(IconProperties(both.Single(r => r!["id"]!.ToString() == client.Account!.Id)));
        }
    }

    [Fact]
    public async Task Changing_the_acl_changes_who_sees_the_property_and_a_reupload_keeps_it()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "3"), ("icon", Jpeg()), ("acl_allow", "all")));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "4"), ("icon", Jpeg())));
        Assert.Equal(["icon3"], IconProperties(await Other(cb, a)));
        // Made private: gone for b.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "3"), ("icon", Jpeg()), ("acl_allow", "")));
        Assert.Empty(IconProperties(await Other(cb, a)));
        // Shared with b; a new upload without acl_allow keeps it.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "4"), ("icon", Jpeg()), ("acl_allow", b.Id)));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "4"), ("icon", Jpeg())));
        Assert.Equal(["icon4"], IconProperties(await Other(cb, a)));
        Assert.Equal(["icon3", "icon4"], IconProperties((await ca.Get("/account/get")).Object));
    }

    [Fact]
    public async Task The_summary_column_never_shows_and_nobody_writes_it_through_the_account_API()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "7"), ("icon", Jpeg()), ("acl_allow", b.Id)));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "8"), ("icon", Jpeg()), ("acl_allow", "all")));

        var replies = new List<(string What, ApiResponse Reply)>
        {
            ("own get", await ca.Get("/account/get")),
            ("own get by id", await ca.Get("/account/get", ("id", a.Id))),
            ("other's get", await cb.Get("/account/get", ("id", a.Id))),
            ("own select", await ca.Get("/account/select", ("id", a.Id))),
            ("other's select", await cb.Get("/account/select", ("id", a.Id))),
            ("select of the column", await ca.Get("/account/select", ("id", a.Id), ("_select", "id,icons"))),
            ("admin get", await admin.Get("/account/get", ("id", a.Id))),
            ("admin select", await admin.Get("/account/select", ("id", a.Id))),
            ("admin data get", await admin.Get("/data/get/bk_account", ("id", a.Id))),
            ("admin data select", await admin.Get("/data/select/bk_account", ("id", a.Id))),
            ("admin data columns", await admin.Get("/data/columns/bk_account")),
            ("update", await ca.Get("/account/update", ("name", "renamed"))),
        };
        foreach (var (what, reply) in replies)
        {
            ApiAssert.Ok(reply);
            Assert.False(ApiResponse.HasProperty(reply.Json, "icons"), $"{what}: {reply}");
            // The list of whom icon7 is shared with is the owner's business: nowhere in any reply.
            Assert.DoesNotContain(b.Id, reply.Body, StringComparison.Ordinal);
        }
        // Yet the properties it makes are there.
        Assert.Equal(["icon7", "icon8"], IconProperties(replies[0].Reply.Object));
        Assert.Equal(["icon7", "icon8"], IconProperties((await Other(cb, a))));
        Assert.Equal(["icon8"], IconProperties(await Other(admin, a)));

        // Searching by it is refused (it is private); writing it through /account/update does nothing.
        ApiAssert.Error(await cb.Get("/account/select", ("icons", "x")), 403);
        ApiAssert.Ok(await ca.Get("/account/update", ("icons", "{\"9\":\"all\"}")));
        Assert.Equal(["icon7", "icon8"], IconProperties((await ca.Get("/account/get")).Object));
        Assert.Equal(["icon8"], IconProperties(await Other(admin, a)));
    }

    [Fact]
    public async Task With_the_icon_module_disabled_no_iconN_shows()
    {
        var home = BackendServer.CreateHome();
        TestAccount a;
        await using (var on = await BackendServer.StartAsync(null, home))
        {
            a = await Accounts.Add(on, null);
            using var ca = on.Client(a);
            ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "5"), ("icon", Jpeg()), ("acl_allow", "all")));
            Assert.Equal(["icon5"], IconProperties((await ca.Get("/account/get")).Object));
        }
        await using var off = await BackendServer.StartAsync(["-api-disable", "icon"], home, ownsHome: true);
        var b = await Accounts.Add(off, null);
        using var ca2 = off.Client(a);
        using var cb = off.Client(b);
        var me = await ca2.Get("/account/get");
        ApiAssert.Ok(me);
        Assert.Empty(IconProperties(me.Object));
        Assert.False(ApiResponse.HasProperty(me.Json, "icons"));
        Assert.Empty(IconProperties(await Other(cb, a)));
        Assert.Equal(404, (await GetBytes(cb, Url(a, "5"))).Status);
    }
}
