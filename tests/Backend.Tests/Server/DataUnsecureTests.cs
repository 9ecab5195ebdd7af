using System.Text.Json.Nodes;
using static Backend.Tests.Server.DataTestHelpers;

namespace Backend.Tests.Server;

/// <summary>A server with <c>-api-unsecure data</c> and an admin.</summary>
public sealed class DataUnsecureFixture : AdminServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-unsecure", "data"];
}

/// <summary>The data API opened to every account with <c>-api-unsecure data</c>: non-admins never touch
/// <c>bk_auth</c>, see others' rows with public columns only, cannot search by private columns, cannot write admin,
/// readonly or location columns nor other accounts' rows; table scans need <c>_noscan=0</c>.</summary>
public sealed class DataUnsecureTests(DataUnsecureFixture fixture) : IClassFixture<DataUnsecureFixture>
{
    private static readonly string[] PrivateValues = ["email", "phone", "name", "address"];

    private async Task<TestAccount> AddVictim(string tag) =>
        await fixture.AddAccount([.. PrivateValues.Select(c => (c, $"PRIV{tag}{c}")), ("alias", "pub" + tag)]);

    [Fact]
    public async Task Bk_auth_is_403_on_every_path_for_a_non_admin()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/data/columns/bk_auth"), 403);
        ApiAssert.Error(await client.Get("/data/keys/bk_auth"), 403);
        foreach (var op in Operations)
        {
            ApiAssert.Error(await client.Get($"/data/{op}/bk_auth", ("login", a.Login), ("id", "someone-else"), ("_query", "1=1")), 403);
        }
        var columns = await client.Get("/data/columns");
        ApiAssert.Ok(columns);
        Assert.False(columns.Object.ContainsKey("bk_auth"));
        Assert.True(columns.Object.ContainsKey("bk_account"));
        // the login still maps to the same account
        using var admin = fixture.Client(fixture.Admin);
        Assert.Equal(a.Id, (await admin.Get("/data/get/bk_auth", ("login", a.Login))).Str("id"));
    }

    [Fact]
    public async Task A_non_admin_reads_others_rows_public_only_and_own_rows_whole()
    {
        var tag = Guid.NewGuid().ToString("N");
        var victim = await AddVictim(tag);
        var b = await fixture.AddAccount(("email", "b" + tag + "@example.com"));
        using var client = fixture.Client(b);
        var sneaky = "email,phone,name,address,login,type,id,alias";
        var replies = new List<ApiResponse>
        {
            await client.Get("/data/get/bk_account", ("id", victim.Id)),
            await client.Get("/data/get/bk_account", ("id", victim.Id), ("_select", sneaky)),
            await client.Get("/data/list/bk_account", ("id", $"{victim.Id},{b.Id}"), ("_select", sneaky)),
            await client.Get("/data/select/bk_account", ("id", victim.Id)),
            await client.Get("/data/select/bk_account", ("alias", "pub" + tag), ("_select", sneaky)),
            await client.PostJson("/data/select/bk_account", new JsonObject { ["id"] = new JsonArray(victim.Id, b.Id), ["_ops"] = "id,in", ["_select"] = sneaky }),
        };
        foreach (var r in replies)
        {
            ApiAssert.Ok(r);
            foreach (var c in PrivateValues) Assert.DoesNotContain($"PRIV{tag}{c}", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(victim.Login, r.Body, StringComparison.Ordinal);
        }
        Assert.Equal(["alias", "id"], Accounts.Keys((await client.Get("/data/get/bk_account", ("id", victim.Id))).Object));

        var list = await client.Get("/data/list/bk_account", ("id", $"{victim.Id},{b.Id}"));
        ApiAssert.Ok(list);
        Assert.Equal([victim.Id, b.Id], list.Data.Select(x => x!["id"]!.GetValue<string>()));
        Assert.Equal(["alias", "id"], Accounts.Keys(list.Data[0]));
        Assert.Equal("b" + tag + "@example.com", list.Data[1]!["email"]!.GetValue<string>());

        var own = await client.Get("/data/get/bk_account", ("id", b.Id), ("_select", "email"));
        ApiAssert.Ok(own);
        Assert.Equal(["email"], Accounts.Keys(own.Object));
    }

    [Fact]
    public async Task A_non_admin_search_by_a_private_column_is_403_except_on_own_rows()
    {
        var tag = Guid.NewGuid().ToString("N");
        var victim = await AddVictim(tag);
        var b = await fixture.AddAccount(("email", "b" + tag + "@example.com"));
        using var client = fixture.Client(b);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("email", $"PRIV{tag}email")), 403);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("id", victim.Id), ("email", $"PRIV{tag}email")), 403);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("alias", "pub" + tag), ("_sort", "email")), 403);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("id", $"{victim.Id},{b.Id}"), ("_ops", "id,in"), ("email", "x")), 403);
        var own = await client.Get("/data/select/bk_account", ("id", b.Id), ("email", "b" + tag + "@example.com"));
        ApiAssert.Ok(own);
        Assert.Equal(b.Id, Assert.Single(own.Data)!["id"]!.GetValue<string>());
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "1 = 1")), 403);
    }

    [Fact]
    public async Task A_non_admin_writes_own_rows_only_and_no_admin_or_readonly_columns()
    {
        var victim = await fixture.AddAccount(("alias", "victim alias"));
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);

        Assert.Equal(1, Affected(await client.Get("/data/update/bk_account", ("id", b.Id), ("alias", "mine"), ("type", "admin"), ("login", "stolen"), ("latitude", "10"), ("ctime", "1"))));
        using var admin = fixture.Client(fixture.Admin);
        var row = await admin.Get("/data/get/bk_account", ("id", b.Id));
        Assert.Equal("mine", row.Str("alias"));
        Assert.Null(row.Object["type"]);
        Assert.Equal(b.Login, row.Str("login"));
        Assert.Null(row.Object["latitude"]);
        Assert.NotEqual("1", row.Str("ctime"));
        using (var me = fixture.Client(b)) Assert.Null((await me.Get("/account/get")).Object["type"]);

        foreach (var op in new[] { "update", "replace", "incr", "add", "del" })
        {
            ApiAssert.Error(await client.Get($"/data/{op}/bk_account", ("id", victim.Id), ("alias", "hacked")), 403);
        }
        ApiAssert.Error(await client.Get("/data/put/bk_account", ("id", b.Id), ("alias", "x")), 403);
        ApiAssert.Error(await client.Get("/data/put/bk_status", ("id", victim.Id), ("status", "hacked")), 403);
        Assert.Equal("victim alias", (await admin.Get("/data/get/bk_account", ("id", victim.Id))).Str("alias"));
        ApiAssert.Ok(await admin.Get("/data/get/bk_account", ("id", b.Id)));
    }

    [Fact]
    public async Task A_non_admin_write_without_id_is_their_own_row()
    {
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        Assert.Equal(1, Affected(await client.Get("/data/put/bk_status", ("status", "via data"))));
        var r = await client.Get("/status/get");
        ApiAssert.Ok(r);
        Assert.Equal(b.Id, r.Str("id"));
        Assert.Equal("via data", r.Str("status"));
        Assert.True(r.Object["online"]!.GetValue<bool>());
        Assert.Equal(1, Affected(await client.Get("/data/del/bk_status")));
        Assert.False((await client.Get("/status/get")).Object["online"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_scan_needs_noscan_0()
    {
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        Assert.Equal(1, Affected(await client.Get("/data/put/bk_status", ("id", b.Id), ("status", "here"))));
        ApiAssert.Error(await client.Get("/data/select/bk_status"), 400);
        ApiAssert.Error(await client.Get("/data/select/bk_status", ("_noscan", "1")), 400);
        ApiAssert.Error(await client.Get("/data/select/bk_status", ("_noscan", "maybe")), 400);
        var r = await client.Get("/data/select/bk_status", ("_noscan", "0"), ("_count", "2"));
        ApiAssert.Ok(r);
        Assert.InRange(r.Data.Count, 1, 2);
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Ok(await admin.Get("/data/select/bk_status", ("_noscan", "false"), ("_count", "2")));
    }

    [Fact]
    public async Task NonAdmin_cannot_point_a_message_row_at_another_accounts_image()
    {
        var victim = await fixture.AddAccount();
        var sender = await fixture.AddAccount();
        var attacker = await fixture.AddAccount();
        using var asSender = fixture.Client(sender);
        var png = MessageTestSupport.Png(1_000);
        ApiAssert.Ok(await asSender.PostForm("/message/add", ("id", victim.Id), ("msg", "private picture"), ("icon", Convert.ToBase64String(png))));
        using var admin = fixture.Client(fixture.Admin);
        var stored = (await admin.Get("/data/select/bk_message", ("id", victim.Id))).Data.Single()!;
        var file = stored["icon"]!.GetValue<string>();

        // The attacker writes a row of its own inbox naming the victim's image file: the icon is an admin column, ignored.
        using var client = fixture.Client(attacker);
        var mtime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var mkey = Backend.Api.Messages.MessageTables.Key(mtime, attacker.Id);
        ApiAssert.Ok(await client.Get("/data/add/bk_message", ("id", attacker.Id), ("mkey", mkey), ("sender", attacker.Id), ("mtime", mtime.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("icon", file)));
        var own = (await admin.Get("/data/get/bk_message", ("id", attacker.Id), ("mkey", mkey))).Object;
        Assert.Null(own["icon"]);
        var (status, _, body) = await MessageTestSupport.GetBytes(client, $"/message/image?sender={attacker.Id}&mtime={mtime}");
        Assert.Equal(404, status);
        Assert.NotEqual(png, body);
        var update = await client.Get("/data/update/bk_message", ("id", attacker.Id), ("mkey", mkey), ("icon", file));
        Assert.True(update.Status is 200 or 400, update.ToString());
        Assert.Null((await admin.Get("/data/get/bk_message", ("id", attacker.Id), ("mkey", mkey))).Object["icon"]);
        Assert.Equal(404, (await MessageTestSupport.GetBytes(client, $"/message/image?sender={attacker.Id}&mtime={mtime}")).Status);
    }
}
