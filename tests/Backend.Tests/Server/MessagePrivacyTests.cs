using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>Messages are private to their sender and recipient: a third account can neither read, archive, delete
/// nor fetch the image of a message, whatever ids or operators it sends, and no reply carries another account's
/// private columns.</summary>
public sealed class MessagePrivacyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] PrivateColumns = ["name", "email", "phone", "status", "address", "city"];

    private async Task<(TestAccount Account, string[] Secrets)> AddSecretive()
    {
        var tag = Guid.NewGuid().ToString("N");
        var values = PrivateColumns.Select(c => (c, $"PRIV{tag}{c}")).ToArray();
        var account = await fixture.AddAccount([.. values, ("alias", "pub" + tag)]);
        return (account, [.. values.Select(v => v.Item2), account.Login, account.Secret]);
    }

    private static void AssertNoLeak(IEnumerable<string> secrets, string body, string what)
    {
        foreach (var s in secrets) Assert.False(body.Contains(s, StringComparison.Ordinal), $"{what} leaked '{s}': {body}");
    }

    [Fact]
    public async Task A_third_account_cannot_read_archive_delete_or_fetch_an_image()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var cc = fixture.Client(c);
        const string text = "for b's eyes only";
        var png = Png(2000);
        var added = await Send(ca, b.Id, text, ("icon", Convert.ToBase64String(png)));
        var mtime = added["mtime"]!.ToString();
        await Send(ca, b.Id, "second");
        ApiAssert.Ok(await cb.Get("/message/archive", ("sender", a.Id), ("mtime", added["mtime"]!.ToString())));

        var reads = new List<(string What, Func<Task<ApiResponse>> Call)>
        {
            ("get", () => cc.Get("/message/get")),
            ("get id=B", () => cc.Get("/message/get", ("id", b.Id))),
            ("get id=B ne", () => cc.Get("/message/get", ("id", c.Id), ("_ops", "id,ne"))),
            ("get id in", () => cc.Get("/message/get", ("id", $"{b.Id},{a.Id}"), ("_ops", "id,in"))),
            ("get sender=A", () => cc.Get("/message/get", ("sender", a.Id))),
            ("get mkey", () => cc.Get("/message/get", ("mkey", "0"), ("_ops", "mkey,gt"))),
            ("get archive id=B", () => cc.Get("/message/get/archive", ("id", b.Id), ("_ops", "id,ne"))),
            ("get sent id=A", () => cc.Get("/message/get/sent", ("id", a.Id), ("recipient", b.Id))),
            ("get json", () => cc.PostJson("/message/get", new JsonObject { ["id"] = b.Id, ["_ops"] = "id,begins_with" })),
            ("get _trash id=B", () => cc.Get("/message/get", ("id", b.Id), ("_trash", "1"))),
            ("get _archive id=B", () => cc.Get("/message/get", ("id", b.Id), ("_archive", "1"))),
        };
        foreach (var (what, call) in reads)
        {
            var r = await call();
            ApiAssert.Ok(r);
            Assert.Empty(r.Data);
            Assert.DoesNotContain("second", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(text, r.Body, StringComparison.Ordinal);
        }
        ApiAssert.Error(await cc.Get("/message/archive", ("sender", a.Id), ("mtime", mtime), ("id", b.Id)), 404);
        Assert.Equal(0, (await cc.Get("/message/del", ("sender", a.Id), ("id", b.Id))).Object["count"]!.GetValue<int>());
        Assert.Equal(0, (await cc.Get("/message/del/archive", ("sender", a.Id), ("id", b.Id))).Object["count"]!.GetValue<int>());
        Assert.Equal(0, (await cc.Get("/message/del/sent", ("recipient", b.Id), ("id", a.Id))).Object["count"]!.GetValue<int>());
        foreach (var link in new[]
        {
            $"/message/image?sender={a.Id}&mtime={mtime}",
            $"/message/image?sender={a.Id}&mtime={mtime}&recipient={b.Id}",
            $"/message/image?sender={a.Id}&mtime={mtime}&id={b.Id}",
            $"/message/image?sender={c.Id}&mtime={mtime}&recipient={b.Id}",
        })
        {
            var (status, _, body) = await GetBytes(cc, link);
            Assert.Equal(404, status);
            Assert.NotEqual(png, body);
        }

        // Nothing changed for the owners.
        Assert.Equal(["second"], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
        Assert.Equal([text], (await Box(cb, "/message/get/archive")).Select(x => x["msg"]!.ToString()));
        Assert.Equal(2, (await Box(ca, "/message/get/sent")).Count);
        Assert.Equal(200, (await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={mtime}")).Status);
        Assert.Equal(200, (await GetBytes(ca, $"/message/image?sender={a.Id}&mtime={mtime}&recipient={b.Id}")).Status);
    }

    [Fact]
    public async Task Replies_never_carry_other_accounts_private_columns()
    {
        var (a, aSecrets) = await AddSecretive();
        var (b, bSecrets) = await AddSecretive();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        const string sneaky = "email,secret,login,name,phone,status,address,city,alias,id,sender,msg";
        var add = await ca.Get("/message/add", ("id", b.Id), ("msg", "hello"), ("email", "x@example.com"), ("_details", "1"));
        ApiAssert.Ok(add);
        AssertNoLeak(bSecrets, add.Body, "add");
        ApiAssert.Ok(await cb.PostForm("/message/add", ("id", a.Id), ("msg", "reply")));
        foreach (var (what, r) in new[]
        {
            ("b get", await cb.Get("/message/get", ("_details", "1"), ("_select", sneaky))),
            ("b get details", await cb.Get("/message/get", ("_details", "1"))),
            ("b sent details", await cb.Get("/message/get/sent", ("_details", "1"))),
            ("a sent details", await ca.Get("/message/get/sent", ("_details", "1"), ("_select", sneaky))),
            ("a get details", await ca.Get("/message/get", ("_details", "1"))),
            ("b get archive details", await cb.Get("/message/get", ("_details", "1"), ("_archive", "1"))),
            ("b archive list details", await cb.Get("/message/get/archive", ("_details", "1"))),
        })
        {
            ApiAssert.Ok(r);
            Assert.NotEmpty(r.Data);
            var other = what.StartsWith('a') ? bSecrets : aSecrets;
            AssertNoLeak(other, r.Body, what);
            Assert.False(ApiResponse.HasProperty(r.Json, "email"), $"{what}: {r}");
            Assert.False(ApiResponse.HasProperty(r.Json, "login"), $"{what}: {r}");
        }
    }
}
