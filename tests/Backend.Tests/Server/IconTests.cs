using System.Net;
using System.Net.Http.Headers;
using NetVips;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>The icon endpoints (issue 14): account icons and icons by prefix, stored through the image processor,
/// served by their ACL (404 to anyone not allowed), with ETag and 304, deleted with the account. Runs on every pool.</summary>
public sealed class IconTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static readonly HttpClient Raw = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A real JPEG of <paramref name="width"/> x <paramref name="height"/>.</summary>
    private static byte[] Jpeg(int width, int height) => Images.TestImages.Photo(width, height);

    private static (int Width, int Height) Size(byte[] bytes) => Images.TestImages.Dimensions(bytes);

    [Fact]
    public async Task An_account_icon_is_scaled_stored_listed_served_and_deleted()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var put = await ca.PostForm("/account/put/icon", ("type", "5"), ("icon", Convert.ToBase64String(Jpeg(64, 48))), ("_width", "32"));
        ApiAssert.Ok(put);
        Assert.Equal("5", put.Str("type"));
        Assert.Equal("account", put.Str("prefix"));

        var (status, type, body) = await GetBytes(ca, $"/account/get/icon?type=5");
        Assert.Equal(200, status);
        Assert.Equal("image/jpeg", type);
        Assert.Equal((32, 24), Size(body));

        var list = (await ca.Get("/account/select/icon")).Array;
        var icon = Assert.Single(list);
        Assert.Equal(a.Id, icon!["id"]!.ToString());
        Assert.Equal("5", icon["type"]!.ToString());
        Assert.Equal("", icon["acl_allow"]!.ToString());
        Assert.Equal($"/account/get/icon?id={a.Id}&type=5", icon["url"]!.ToString());

        ApiAssert.Ok(await ca.Get("/account/del/icon", ("type", "5")));
        Assert.Equal(404, (await GetBytes(ca, "/account/get/icon?type=5")).Status);
        Assert.Empty((await ca.Get("/account/select/icon")).Array);
        ApiAssert.Error(await ca.Get("/account/del/icon", ("type", "5")), 404);
    }

    [Theory]
    [InlineData("", false, false)]
    [InlineData("all", true, true)]
    [InlineData("auth", true, true)]
    [InlineData("OTHER", true, false)]
    public async Task Who_sees_an_icon_follows_its_acl_and_anyone_else_gets_404(string acl, bool otherSees, bool thirdSees)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var cc = fixture.Client(c);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Jpeg(20, 20))), ("acl_allow", acl == "OTHER" ? b.Id : acl)));
        foreach (var (client, sees) in new[] { (ca, true), (cb, otherSees), (cc, thirdSees) })
        {
            Assert.Equal(sees ? 200 : 404, (await GetBytes(client, $"/account/get/icon?id={a.Id}&type=0")).Status);
            Assert.Equal(sees ? 200 : 404, (await GetBytes(client, $"/image/account/{a.Id}/0")).Status);
            var listed = (await client.Get("/account/select/icon", ("id", a.Id))).Array;
            Assert.Equal(sees ? 1 : 0, listed.Count);
            // Only the owner sees whom an icon is shared with.
            if (sees) Assert.Equal(client == ca, listed[0]!["acl_allow"] is not null);
        }
    }

    [Fact]
    public async Task A_served_icon_has_an_etag_and_a_conditional_get_is_304()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Jpeg(16, 16)))));
        var uri = ca.Url("/account/get/icon", "type=0");
        using var first = await Send(ca, uri, null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.NotNull(first.Content.Headers.LastModified);
        Assert.Contains("private", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        using var again = await Send(ca, uri, etag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        // A new upload is a new tag.
        await Task.Delay(5, TestContext.Current.CancellationToken);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Jpeg(16, 8)))));
        using var changed = await Send(ca, uri, etag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_a_4xx_and_writes_nothing()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var jpeg = Convert.ToBase64String(Jpeg(10, 10));
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String("not an image at all"u8.ToArray()))), 400);
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Jpeg(10, 10)[..40]))), 400);
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", jpeg), ("type", "A")), 400);
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", jpeg), ("type", "10")), 400);
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", jpeg), ("_ext", "bmp")), 415);
        ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", jpeg), ("_width", "999999")), 400);
        ApiAssert.Error(await ca.PostForm("/account/put/icon"), 400);
        ApiAssert.Error(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "../x")), 400);
        ApiAssert.Error(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "album"), ("type", "a/b")), 400);
        ApiAssert.Error(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "album"), ("latitude", "91"), ("longitude", "0")), 400);
        Assert.Empty((await ca.Get("/account/select/icon")).Array);
        Assert.Empty((await ca.Get("/icon/select", ("prefix", "album"))).Array);
    }

    [Fact]
    public async Task Icons_by_prefix_are_selected_by_type_prefix_with_their_details()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var jpeg = Convert.ToBase64String(Jpeg(12, 12));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "album"), ("type", "a1:p1"), ("descr", "first"), ("latitude", "10.5"), ("longitude", "-20.25")));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "album"), ("type", "a1:p2"), ("_ext", "png")));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("icon", jpeg), ("prefix", "album"), ("type", "a2:p1")));
        var a1 = (await ca.Get("/icon/select", ("prefix", "album"), ("type", "a1:"))).Array;
        Assert.Equal(["a1:p1", "a1:p2"], a1.Select(r => r!["type"]!.ToString()).Order(StringComparer.Ordinal));
        var first = a1.Single(r => r!["type"]!.ToString() == "a1:p1")!;
        Assert.Equal("first", first["descr"]!.ToString());
        Assert.Equal(10.5, first["latitude"]!.GetValue<double>());
        var (status, type, _) = await GetBytes(ca, "/icon/get?prefix=album&type=a1:p2");
        Assert.Equal(200, status);
        Assert.Equal("image/png", type);
        Assert.Equal(3, (await ca.Get("/icon/select", ("prefix", "album"))).Array.Count);
        // Account icons are another prefix.
        Assert.Empty((await ca.Get("/account/select/icon")).Array);
        ApiAssert.Ok(await ca.Get("/icon/del", ("prefix", "album"), ("type", "a2:p1")));
        Assert.Equal(2, (await ca.Get("/icon/select", ("prefix", "album"))).Array.Count);
    }

    [Fact]
    public async Task Deleting_an_account_deletes_its_icons()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Jpeg(8, 8))), ("acl_allow", "all")));
        Assert.Equal(200, (await GetBytes(cb, $"/image/account/{a.Id}/0")).Status);
        ApiAssert.Ok(await ca.Get("/account/del"));
        Assert.Equal(404, (await GetBytes(cb, $"/image/account/{a.Id}/0")).Status);
        Assert.Empty((await cb.Get("/account/select/icon", ("id", a.Id))).Array);
    }

    private static async Task<HttpResponseMessage> Send(BackendClient client, Uri uri, EntityTagHeaderValue? ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var signature = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions());
        if (signature is not null) Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", signature));
        if (ifNoneMatch is not null) request.Headers.IfNoneMatch.Add(ifNoneMatch);
        return await Raw.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
