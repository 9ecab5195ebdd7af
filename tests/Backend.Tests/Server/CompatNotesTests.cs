using System.Globalization;
using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>compat-notes.md, "Further behaviours of the original's clients (settled 2026-12)": notes to oneself,
/// the computed <c>age</c>, the <c>bk_counter</c> row written at account creation (the other points have their tests
/// beside their endpoints: CounterTests, LocationBadInputTests, DataAdminTests, DataUnsecureTests; the whole
/// flow of a 2014 client is OriginalClientFlowTests).</summary>
public sealed class CompatNotesTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task A_message_to_oneself_lands_in_the_inbox_and_the_sent_box_by_GET_and_POST_with_text_and_icon()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var png = Png(2_000);
        var byGet = await ca.Get("/message/add", ("id", a.Id), ("msg", "note by get"));
        ApiAssert.Ok(byGet);
        var iconByGet = await ca.Get("/message/add", ("id", a.Id), ("icon", Convert.ToBase64String(png)));
        ApiAssert.Ok(iconByGet);
        var byForm = await ca.PostForm("/message/add", ("id", a.Id), ("msg", "note by post"), ("icon", Convert.ToBase64String(png)));
        ApiAssert.Ok(byForm);
        var byMultipart = await SendMultipart(ca, png, ("id", a.Id));
        ApiAssert.Ok(byMultipart);
        var byJson = await ca.PostJson("/message/add", new JsonObject { ["id"] = a.Id, ["msg"] = "note by json", ["_nosent"] = 1 });
        ApiAssert.Ok(byJson);

        var inbox = await Box(ca, "/message/get");
        Assert.Equal(5, inbox.Count);
        Assert.All(inbox, m => Assert.Equal(a.Id, m["sender"]!.ToString()));
        Assert.Equal(["note by get", "note by json", "note by post"], inbox.Where(m => m["msg"] is not null).Select(m => m["msg"]!.ToString()).Order(StringComparer.Ordinal));
        // _nosent kept the JSON note out of the sent box.
        var sent = await Box(ca, "/message/get/sent");
        Assert.Equal(4, sent.Count);
        Assert.All(sent, m => Assert.Equal(a.Id, m["recipient"]!.ToString()));

        // The icons are served to their owner from either box.
        foreach (var row in inbox.Concat(sent).Where(m => m["icon"] is not null))
        {
            var (status, type, body) = await GetBytes(ca, row["icon"]!.ToString());
            Assert.Equal(200, status);
            Assert.Equal("image/png", type);
            Assert.Equal(Stored(png), body);
        }
        Assert.Equal(6, inbox.Concat(sent).Count(m => m["icon"] is not null));

        // Deleting the inbox copy keeps the sent copy's image.
        var withIcon = inbox.First(m => m["icon"] is not null);
        ApiAssert.Ok(await ca.Get("/message/del", ("sender", a.Id), ("mtime", withIcon["mtime"]!.ToString())));
        var sentCopy = (await Box(ca, "/message/get/sent")).First(m => m["mtime"]!.ToString() == withIcon["mtime"]!.ToString());
        Assert.Equal(200, (await GetBytes(ca, sentCopy["icon"]!.ToString())).Status);
    }

    [Theory]
    [InlineData("1990-05-17")]
    [InlineData("1990-05-17T08:30:00Z")]
    [InlineData("642902400000")]
    public async Task Own_account_get_carries_the_computed_age(string birthday)
    {
        var a = await fixture.AddAccount(("birthday", birthday));
        using var ca = fixture.Client(a);
        var born = long.TryParse(birthday, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.Parse(birthday, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var expected = (long)Math.Floor((DateTimeOffset.UtcNow - born).TotalDays / 365);
        var own = await ca.Get("/account/get");
        ApiAssert.Ok(own);
        Assert.Equal(expected, own.Object["age"]!.GetValue<long>());
        var listed = await ca.Get("/account/get", ("id", a.Id));
        Assert.Equal(expected, listed.Json!.AsArray().Single()!["age"]!.GetValue<long>());

        // Others see neither the birthday nor the age.
        using var cb = fixture.Client(await fixture.AddAccount());
        var other = (await cb.Get("/account/get", ("id", a.Id))).Json!.AsArray().Single()!;
        Assert.Null(other["age"]);
        Assert.Null(other["birthday"]);
    }

    [Fact]
    public async Task No_age_without_a_readable_birthday()
    {
        using var none = fixture.Client(await fixture.AddAccount());
        Assert.Null((await none.Get("/account/get")).Object["age"]);
        using var bad = fixture.Client(await fixture.AddAccount(("birthday", "sometime in spring")));
        Assert.Null((await bad.Get("/account/get")).Object["age"]);
    }

    [Fact]
    public async Task Account_add_writes_the_counter_row_with_every_counter_0()
    {
        var a = await fixture.AddAccount();
        using var admin = fixture.Client(fixture.Admin);
        var row = await admin.Get("/data/get/bk_counter", ("id", a.Id));
        ApiAssert.Ok(row);
        Assert.Equal(a.Id, row.Str("id"));
        foreach (var counter in new[] { "ping", "like0", "like1", "follow0", "follow1" })
            Assert.Equal(0, row.Object[counter]!.GetValue<long>());
        // bkcs add-user (how the admin was made) writes it too.
        ApiAssert.Ok(await admin.Get("/data/get/bk_counter", ("id", fixture.Admin.Id)));
    }
}
