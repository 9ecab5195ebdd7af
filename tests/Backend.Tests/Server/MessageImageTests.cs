using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>Message images: sent as base64 in the query or a form, as a JSON string, or as a multipart file; served
/// back as processed (docs/images.md) by <c>/message/image</c> with the right content type to the recipient (inbox and archive) and the
/// sender (sent box); deleted from the store once no box refers to them.</summary>
public sealed class MessageImageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Link(JsonNode row) => row["icon"]!.ToString();

    // The stored image is the processed upload (docs/images.md), the same bytes for the same upload.
    private static async Task AssertImage(BackendClient client, string link, byte[] upload, string type)
    {
        var (status, contentType, body) = await GetBytes(client, link);
        Assert.Equal(200, status);
        Assert.Equal(type, contentType);
        Assert.Equal(Stored(upload), body);
    }

    [Fact]
    public async Task A_base64_image_in_the_query_round_trips_as_processed_for_recipient_and_sender()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        // The request line is bounded at 64 KiB: a 30 KB image (40 KB of base64) fits; bigger images go in a body.
        var png = Png(30_000);
        var added = await Send(ca, b.Id, "look", ("icon", Convert.ToBase64String(png)));
        var mtime = added["mtime"]!.GetValue<long>();
        Assert.Equal($"/message/image?sender={a.Id}&mtime={mtime}&recipient={b.Id}", Link(added));

        var inbox = Assert.Single(await Box(cb, "/message/get"));
        Assert.Equal($"/message/image?sender={a.Id}&mtime={mtime}", Link(inbox));
        await AssertImage(cb, Link(inbox), png, "image/png");

        var sent = Assert.Single(await Box(ca, "/message/get/sent"));
        Assert.Equal(Link(added), Link(sent));
        await AssertImage(ca, Link(sent), png, "image/png");
        // The sender may also leave out the recipient.
        await AssertImage(ca, $"/message/image?sender={a.Id}&mtime={mtime}", png, "image/png");

        // Still served from the archive.
        ApiAssert.Ok(await cb.Get("/message/archive", ("sender", a.Id), ("mtime", mtime.ToString())));
        var archived = Assert.Single(await Box(cb, "/message/get/archive"));
        Assert.Equal(Link(inbox), Link(archived));
        await AssertImage(cb, Link(archived), png, "image/png");
    }

    [Fact]
    public async Task Images_by_JSON_form_and_multipart_round_trip_as_processed()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var jpeg = Jpeg(40_000);
        var gif = Gif(10_000);
        var webp = WebP(12_000);
        var png = Png(50_000);

        var json = await ca.PostJson("/message/add", new JsonObject { ["id"] = b.Id, ["icon"] = Convert.ToBase64String(jpeg) });
        ApiAssert.Ok(json);
        var form = await ca.PostForm("/message/add", ("id", b.Id), ("msg", "form"), ("icon", Convert.ToBase64String(gif)));
        ApiAssert.Ok(form);
        var multipart = await SendMultipart(ca, webp, ("id", b.Id), ("msg", "multipart"));
        ApiAssert.Ok(multipart);
        // URL-safe base64 without padding, and a data: URL, are accepted too.
        var urlSafe = (await ca.PostForm("/message/add", ("id", b.Id), ("msg", "urlsafe"), ("icon", Convert.ToBase64String(png).TrimEnd('=').Replace('+', '-').Replace('/', '_')))).Object;
        var dataUrl = (await ca.PostForm("/message/add", ("id", b.Id), ("icon", "data:image/png;base64," + Convert.ToBase64String(png)))).Object;

        Assert.Null(json.Object["msg"]);
        await AssertImage(cb, $"/message/image?sender={a.Id}&mtime={json.Object["mtime"]}", jpeg, "image/jpeg");
        await AssertImage(cb, $"/message/image?sender={a.Id}&mtime={form.Object["mtime"]}", gif, "image/gif");
        await AssertImage(cb, $"/message/image?sender={a.Id}&mtime={multipart.Object["mtime"]}", webp, "image/webp");
        await AssertImage(cb, $"/message/image?sender={a.Id}&mtime={urlSafe["mtime"]}", png, "image/png");
        await AssertImage(cb, $"/message/image?sender={a.Id}&mtime={dataUrl["mtime"]}", png, "image/png");
        var inbox = await Box(cb, "/message/get");
        Assert.Equal(5, inbox.Count);
        Assert.All(inbox, x => Assert.StartsWith($"/message/image?sender={a.Id}&mtime=", Link(x), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_image_is_deleted_when_no_box_refers_to_it()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var png = Png(1000);
        var added = await Send(ca, b.Id, "pic", ("icon", Convert.ToBase64String(png)));
        var mtime = added["mtime"]!.GetValue<long>().ToString();
        var file = Assert.Single(ImageFiles(fixture.Server), f => File.ReadAllBytes(f).SequenceEqual(Stored(png)));

        // The recipient deletes it: the sender's copy still needs the image.
        ApiAssert.Ok(await cb.Get("/message/del", ("sender", a.Id), ("mtime", mtime)));
        Assert.True(File.Exists(file));
        await AssertImage(ca, Link(added), png, "image/png");
        // The recipient lost access with the message.
        Assert.Equal(404, (await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={mtime}")).Status);
        // The sender deletes it too: the file goes.
        ApiAssert.Ok(await ca.Get("/message/del/sent", ("recipient", b.Id), ("mtime", mtime)));
        Assert.False(File.Exists(file));
        Assert.Equal(404, (await GetBytes(ca, Link(added))).Status);
    }

    [Fact]
    public async Task An_image_is_deleted_with_archive_and_trash_when_there_is_no_sent_copy()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var kept = Png(1200);
        var trashed = Png(1300);
        await Send(ca, b.Id, "archived", ("icon", Convert.ToBase64String(kept)), ("_nosent", "1"));
        ApiAssert.Ok(await cb.Get("/message/get", ("_archive", "1")));
        await Send(ca, b.Id, "trashed", ("icon", Convert.ToBase64String(trashed)), ("_nosent", "1"));
        var files = ImageFiles(fixture.Server);
        var keptFile = Assert.Single(files, f => File.ReadAllBytes(f).SequenceEqual(Stored(kept)));
        var trashedFile = Assert.Single(files, f => File.ReadAllBytes(f).SequenceEqual(Stored(trashed)));

        ApiAssert.Ok(await cb.Get("/message/get", ("_trash", "1")));
        Assert.False(File.Exists(trashedFile));
        Assert.True(File.Exists(keptFile));
        ApiAssert.Ok(await cb.Get("/message/del/archive", ("sender", a.Id)));
        Assert.False(File.Exists(keptFile));
    }

    [Fact]
    public async Task The_image_of_a_text_message_is_404()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var added = await Send(ca, b.Id, "text only");
        var r = await cb.Get("/message/image", ("sender", a.Id), ("mtime", added["mtime"]!.ToString()));
        ApiAssert.Error(r, 404);
    }
}
