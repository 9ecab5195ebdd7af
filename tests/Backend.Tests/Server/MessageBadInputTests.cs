using System.Text;
using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>A server accepting request bodies up to 4 MiB, so an image over the 1 MiB image limit reaches the
/// endpoint (with the default <c>-api-max-request-size</c> Kestrel refuses it first, also with a 413).</summary>
public sealed class MessageServerFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-max-request-size", "4194304"];
}

/// <summary>Bad input on every message endpoint: a 4xx in the documented shape, never a 500, and nothing written
/// (no inbox or sent row, no image file).</summary>
public sealed class MessageBadInputTests(MessageServerFixture fixture) : IClassFixture<MessageServerFixture>
{
    private const int MaxImage = 1024 * 1024;

    private async Task AssertNothingWritten(TestAccount from, TestAccount to, int imagesBefore)
    {
        using var cf = fixture.Client(from);
        using var ct = fixture.Client(to);
        Assert.Empty(await Box(ct, "/message/get"));
        Assert.Empty(await Box(cf, "/message/get/sent"));
        Assert.Equal(imagesBefore, ImageFiles(fixture.Server).Length);
    }

    public static TheoryData<string> BadAdds => new()
    {
        "no id", "empty id", "no msg or icon", "empty msg and icon", "icon not base64", "icon text bytes",
        "icon truncated png header", "publish not a bool", "nosent not a bool",
    };

    [Theory]
    [MemberData(nameof(BadAdds))]
    public async Task Add_with_bad_input_is_400_and_writes_nothing(string what)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var images = ImageFiles(fixture.Server).Length;
        (string, string)[] query = what switch
        {
            "no id" => [("msg", "hi")],
            "empty id" => [("id", ""), ("msg", "hi")],
            "no msg or icon" => [("id", b.Id)],
            "empty msg and icon" => [("id", b.Id), ("msg", ""), ("icon", "")],
            "icon not base64" => [("id", b.Id), ("msg", "hi"), ("icon", "!!!not*base64!!!")],
            "icon text bytes" => [("id", b.Id), ("icon", Convert.ToBase64String(Encoding.UTF8.GetBytes("<svg onload=alert(1)></svg>")))],
            "icon truncated png header" => [("id", b.Id), ("icon", Convert.ToBase64String(Png()[..5]))],
            "publish not a bool" => [("id", b.Id), ("msg", "hi"), ("_publish", "maybe")],
            "nosent not a bool" => [("id", b.Id), ("msg", "hi"), ("_nosent", "maybe")],
            _ => throw new ArgumentException(what),
        };
        ApiAssert.Error(await ca.Get("/message/add", query), 400);
        await AssertNothingWritten(a, b, images);
        using var cself = fixture.Client(a);
        Assert.Empty(await Box(cself, "/message/get"));
    }

    [Fact]
    public async Task Add_to_an_unknown_recipient_is_404()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var images = ImageFiles(fixture.Server).Length;
        ApiAssert.Error(await ca.Get("/message/add", ("id", Guid.NewGuid().ToString("N")), ("msg", "hi"), ("icon", Convert.ToBase64String(Png(100)))), 404);
        Assert.Empty(await Box(ca, "/message/get/sent"));
        Assert.Equal(images, ImageFiles(fixture.Server).Length);
    }

    [Fact]
    public async Task Add_of_a_message_too_long_is_413_and_the_exact_limit_works()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("msg", new string('x', 8 * 1024 + 1))), 413);
        await AssertNothingWritten(a, b, ImageFiles(fixture.Server).Length);
        ApiAssert.Ok(await ca.PostForm("/message/add", ("id", b.Id), ("msg", new string('x', 8 * 1024))));
    }

    [Fact]
    public async Task Add_of_an_image_too_large_is_413_in_every_form()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var images = ImageFiles(fixture.Server).Length;
        var big = Backend.Tests.Images.TestImages.PngOfSize(MaxImage + 1);
        ApiAssert.Error(await SendMultipart(ca, big, ("id", b.Id), ("msg", "big")), 413);
        ApiAssert.Error(await ca.PostJson("/message/add", new JsonObject { ["id"] = b.Id, ["icon"] = Convert.ToBase64String(big) }), 413);
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(big))), 413);
        await AssertNothingWritten(a, b, images);
        // Exactly the limit is fine.
        var max = Backend.Tests.Images.TestImages.PngOfSize(MaxImage);
        Assert.Equal(MaxImage, max.Length);
        var ok = await SendMultipart(ca, max, ("id", b.Id));
        ApiAssert.Ok(ok);
        using var cb = fixture.Client(b);
        var (status, _, body) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={ok.Object["mtime"]}");
        Assert.Equal(200, status);
        Assert.Equal(Stored(max), body);
    }

    [Fact]
    public async Task Add_of_a_multipart_file_that_is_not_an_image_is_400()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var images = ImageFiles(fixture.Server).Length;
        ApiAssert.Error(await SendMultipart(ca, Encoding.UTF8.GetBytes("#!/bin/sh\nrm -rf /\n"), ("id", b.Id), ("msg", "x")), 400);
        ApiAssert.Error(await SendMultipart(ca, [], ("id", b.Id)), 400);
        await AssertNothingWritten(a, b, images);
    }

    public static TheoryData<string, string, int> BadCalls => new()
    {
        { "/message/get", "_count=-1", 400 },
        { "/message/get", "_count=abc", 400 },
        { "/message/get", "_ops=mtime,bogus&mtime=1", 400 },
        { "/message/get", "_ops=mtime", 400 },
        { "/message/get", "mtime=abc", 400 },
        { "/message/get", "_archive=1&_trash=1", 400 },
        { "/message/get", "_sort=nosuchcolumn", 400 },
        { "/message/get", "_archive=maybe", 400 },
        { "/message/get/archive", "mtime=1.5", 400 },
        { "/message/get/sent", "_count=1001", 400 },
        { "/message/archive", "", 400 },
        { "/message/archive", "sender=x", 400 },
        { "/message/archive", "mtime=123", 400 },
        { "/message/archive", "sender=x&mtime=abc", 400 },
        { "/message/archive", "sender=x&mtime=-5", 400 },
        { "/message/archive", "sender=x&mtime=123", 404 },
        { "/message/del", "", 400 },
        { "/message/del", "mtime=abc", 400 },
        { "/message/del/archive", "", 400 },
        { "/message/del/sent", "", 400 },
        { "/message/del/sent", "sender=x", 400 },
        { "/message/image", "", 400 },
        { "/message/image", "sender=x", 400 },
        { "/message/image", "mtime=1", 400 },
        { "/message/image", "sender=x&mtime=99999999999999999999", 400 },
        { "/message/image", "sender=x&mtime=123", 404 },
        { "/message/image", "sender=%27%3B%20drop%20table%20bk_message%3B%20--&mtime=123", 404 },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task Endpoints_with_bad_parameters_are_4xx(string path, string query, int status)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Error(await ca.GetRaw(path, query), status);
    }

    [Theory]
    [InlineData("/message/add")]
    [InlineData("/message/get")]
    [InlineData("/message/get/sent")]
    [InlineData("/message/image")]
    [InlineData("/message/del")]
    public async Task An_unsigned_request_is_400(string path)
    {
        using var anon = fixture.Client();
        ApiAssert.Error(await anon.Get(path, ("id", "x"), ("msg", "x"), ("sender", "x"), ("mtime", "1")), 400);
    }

    [Fact]
    public async Task SQL_metacharacters_are_just_text()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        const string sql = "'; drop table bk_message; --";
        await Send(ca, b.Id, sql);
        var r = await cb.Get("/message/get", ("sender", sql));
        ApiAssert.Ok(r);
        Assert.Empty(r.Data);
        ApiAssert.Ok(await cb.Get("/message/del", ("sender", sql)));
        Assert.Equal([sql], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
    }
}
