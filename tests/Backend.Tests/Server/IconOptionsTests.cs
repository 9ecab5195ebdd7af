using System.Net;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>A server with <c>-api-icon-limit</c> and <c>-api-icon-sizes</c>.</summary>
public sealed class IconOptionsFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments =>
        ["-api-icon-limit", "account:4096,*:1048576", "-api-icon-sizes", "account:thumb=-16,album:small=8x8,album:big=-4000"];
}

/// <summary>What issue 14 adds around the icon endpoints: <c>/icon/upload</c> and its URL, icons of any prefix by
/// <c>/image/PREFIX/ID/TYPE</c>, the upload limit per prefix (<c>-api-icon-limit</c>) and the renditions of
/// <c>-api-icon-sizes</c>. Runs on every pool.</summary>
public sealed class IconOptionsTests(IconOptionsFixture fixture) : IClassFixture<IconOptionsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_upload_makes_no_row_answers_a_url_and_the_url_serves_the_processed_image()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var photo = Images.TestImages.Photo(64, 48);
        var up = await ca.PostForm("/icon/upload", ("prefix", "album"), ("type", "x1"), ("icon", Convert.ToBase64String(photo)), ("_width", "32"), ("_ext", "png"));
        ApiAssert.Ok(up);
        var url = up.Str("url")!;
        Assert.Matches("^/image/uploads/[0-9a-f]{32}/album/[0-9a-f]{32}\\.png$", url);

        var (status, type, body) = await GetBytes(ca, url);
        Assert.Equal(200, status);
        Assert.Equal("image/png", type);
        Assert.Equal((32, 24), Images.TestImages.Dimensions(body));
        // Anyone signed in who has the URL may read it: there is no row to hold an acl_allow.
        var b = await fixture.AddAccount();
        using var cb = fixture.Client(b);
        Assert.Equal(200, (await GetBytes(cb, url)).Status);
        // No row: nothing listed, nothing at /icon/get.
        Assert.Empty((await ca.Get("/icon/select", ("prefix", "album"))).Array);
        Assert.Equal(404, (await GetBytes(ca, "/icon/get?prefix=album&type=x1")).Status);

        // Two uploads never share a name.
        var again = await ca.PostForm("/icon/upload", ("prefix", "album"), ("icon", Convert.ToBase64String(photo)));
        ApiAssert.Ok(again);
        Assert.NotEqual(url, again.Str("url"));
        Assert.EndsWith(".jpg", again.Str("url")!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/image/uploads/0123456789abcdef0123456789abcdef/album/0123456789abcdef0123456789abcdef.png")]
    [InlineData("/image/uploads/0123456789ABCDEF0123456789ABCDEF/album/0123456789abcdef0123456789abcdef.png")]
    [InlineData("/image/uploads/0123456789abcdef0123456789abcdef/album/0123456789abcdef0123456789abcdef.exe")]
    [InlineData("/image/uploads/0123456789abcdef0123456789abcdef/..%2F..%2Fetc/passwd")]
    [InlineData("/image/uploads/0123456789abcdef0123456789abcdef/album/..%2F..%2F..%2Ficons")]
    [InlineData("/image/uploads/..%2F..%2Fvar/album/0123456789abcdef0123456789abcdef.png")]
    public async Task An_upload_url_that_is_not_one_or_names_no_file_is_404(string url)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Assert.Equal(404, (await GetBytes(ca, url)).Status);
    }

    [Theory]
    [InlineData("prefix", "")]
    [InlineData("prefix", "../x")]
    [InlineData("type", "a/b")]
    [InlineData("acl_allow", "   ,  ,")]
    [InlineData("_ext", "bmp")]
    [InlineData("icon", "not base64 !!")]
    public async Task A_bad_upload_is_4xx_and_stores_nothing(string name, string value)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var form = new Dictionary<string, string> { ["prefix"] = "album", ["icon"] = Convert.ToBase64String(Images.TestImages.Photo(20, 20)) };
        form[name] = value;
        var r = await ca.PostForm("/icon/upload", [.. form.Select(p => (p.Key, p.Value))]);
        Assert.InRange(r.Status, 400, 499);
        Assert.Null(r.Str("url"));
        Assert.Equal(400, (await ca.PostForm("/icon/upload", ("prefix", "album"))).Status);
    }

    [Fact]
    public async Task Icons_of_any_prefix_have_a_plain_image_url()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "album"), ("type", "trip:1"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(30, 20))), ("acl_allow", "auth")));
        var b = await fixture.AddAccount();
        using var cb = fixture.Client(b);
        var (status, type, body) = await GetBytes(cb, $"/image/album/{a.Id}/trip:1");
        Assert.Equal(200, status);
        Assert.Equal("image/jpeg", type);
        Assert.Equal((30, 20), Images.TestImages.Dimensions(body));
        Assert.Equal(404, (await GetBytes(cb, $"/image/album/{a.Id}/trip:2")).Status);
        Assert.Equal(400, (await GetBytes(cb, $"/image/Album!/{a.Id}/trip:1")).Status);
        // An account icon's type defaults to 0, as on /account/get/icon.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(10, 10))), ("acl_allow", "all")));
        Assert.Equal(200, (await GetBytes(cb, $"/image/account/{a.Id}")).Status);
    }

    [Fact]
    public async Task The_icon_limit_of_a_prefix_bounds_its_uploads_and_the_others_keep_the_default()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var big = Images.TestImages.PngOfSize(6000);
        Assert.InRange(big.Length, 4097, 1_000_000);
        var refused = await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(big)));
        ApiAssert.Error(refused, 413);
        Assert.Contains("4096", refused.Str("message"), StringComparison.Ordinal);
        Assert.Empty((await ca.Get("/account/select/icon")).Array);
        // Under the limit, and another prefix (the * item) takes the same image.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(8, 8)))));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "album"), ("icon", Convert.ToBase64String(big))));
        ApiAssert.Ok(await ca.PostForm("/icon/upload", ("prefix", "album"), ("icon", Convert.ToBase64String(big))));
        ApiAssert.Error(await ca.PostForm("/icon/upload", ("prefix", "account"), ("icon", Convert.ToBase64String(big))), 413);
    }

    [Fact]
    public async Task Configured_sizes_are_stored_beside_the_icon_served_by_size_and_deleted_with_it()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "album"), ("type", "p"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(60, 40))), ("_ext", "png")));
        Assert.Equal((60, 40), Images.TestImages.Dimensions((await GetBytes(ca, "/icon/get?prefix=album&type=p")).Body));
        var small = await GetBytes(ca, "/icon/get?prefix=album&type=p&size=small");
        Assert.Equal(200, small.Status);
        Assert.Equal("image/png", small.ContentType);
        Assert.Equal((8, 5), Images.TestImages.Dimensions(small.Body));
        // big=-4000: never upscaled.
        Assert.Equal((60, 40), Images.TestImages.Dimensions((await GetBytes(ca, $"/image/album/{a.Id}/p?size=big")).Body));
        Assert.Equal(400, (await GetBytes(ca, "/icon/get?prefix=album&type=p&size=huge")).Status);
        Assert.Equal(400, (await GetBytes(ca, "/icon/get?prefix=other&type=p&size=small")).Status);

        // A replacement replaces the renditions too; a delete removes them.
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "album"), ("type", "p"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(40, 80)))));
        Assert.Equal((4, 8), Images.TestImages.Dimensions((await GetBytes(ca, "/icon/get?prefix=album&type=p&size=small")).Body));
        ApiAssert.Ok(await ca.Get("/icon/del", ("prefix", "album"), ("type", "p")));
        Assert.Equal(404, (await GetBytes(ca, "/icon/get?prefix=album&type=p&size=small")).Status);

        // Account icons: thumb=-16.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(8, 6)))));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "1"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(8 * 8, 6 * 8)))));
        var thumb = await GetBytes(ca, "/account/get/icon?type=1&size=thumb");
        Assert.Equal((16, 12), Images.TestImages.Dimensions(thumb.Body));
        Assert.Equal((8, 6), Images.TestImages.Dimensions((await GetBytes(ca, "/account/get/icon?size=thumb")).Body));
    }

    [Fact]
    public async Task Deleting_the_account_deletes_its_uploads_and_renditions()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var url = (await ca.PostForm("/icon/upload", ("prefix", "album"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20))))).Str("url")!;
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20))), ("acl_allow", "all")));
        var b = await fixture.AddAccount();
        using var cb = fixture.Client(b);
        Assert.Equal(200, (await GetBytes(cb, url)).Status);
        Assert.Equal(200, (await GetBytes(cb, $"/image/account/{a.Id}/0?size=thumb")).Status);
        var files = Directory.GetFiles(Path.Combine(fixture.Server.Home, "images"), "*", SearchOption.AllDirectories).Length;
        ApiAssert.Ok(await ca.Get("/account/del"));
        Assert.Equal(404, (await GetBytes(cb, url)).Status);
        Assert.Equal(404, (await GetBytes(cb, $"/image/account/{a.Id}/0?size=thumb")).Status);
        // The upload, the icon and its rendition are gone from the disk (a class's tests run one at a time, so no
        // other test adds files meanwhile).
        Assert.Equal(files - 3, Directory.GetFiles(Path.Combine(fixture.Server.Home, "images"), "*", SearchOption.AllDirectories).Length);
    }
}

/// <summary>A server with <c>-api-images-url</c>, and <c>/image/</c> open without a signature.</summary>
public sealed class ImagesUrlFixture : ServerFixture
{
    public const string Cdn = "https://cdn.example.com/img";

    protected override IEnumerable<string> Arguments => ["-api-images-url", Cdn + "/", "-api-allow-path", "^/image/"];
}

/// <summary><c>-api-images-url</c>: public icons and uploads are redirects to the CDN; private icons are still served
/// (and still 404 to those not allowed).</summary>
public sealed class ImagesUrlTests(ImagesUrlFixture fixture) : IClassFixture<ImagesUrlFixture>
{
    private static readonly HttpClient NoRedirects = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private async Task<HttpResponseMessage> Unsigned(string path) =>
        await NoRedirects.GetAsync(new Uri(fixture.Server.BaseAddress, path), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Public_icons_and_uploads_redirect_to_the_cdn_and_private_ones_do_not()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20))), ("acl_allow", "all")));
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "1"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20)))));

        using var pub = await Unsigned($"/image/account/{a.Id}/0");
        Assert.Equal(HttpStatusCode.Found, pub.StatusCode);
        var location = pub.Headers.Location!.ToString();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(ImagesUrlFixture.Cdn)}/icons/account/[0-9a-f]{{2}}/[0-9a-f]{{32}}/0\\.[0-9a-f]{{16}}\\.jpg\\?v=[0-9a-f]+$", location);

        // The CDN URL names the file the store holds.
        var stored = Path.Combine(fixture.Server.Home, "images", new Uri(location).AbsolutePath["/img/".Length..]);
        Assert.True(File.Exists(stored), stored);

        // A private icon: 404 unsigned, bytes to its owner, never a redirect.
        using var hidden = await Unsigned($"/image/account/{a.Id}/1");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        var own = await GetBytes(ca, $"/account/get/icon?type=1");
        Assert.Equal(200, own.Status);
        Assert.Equal("image/jpeg", own.ContentType);

        // An upload answers its CDN URL, and its server URL redirects there.
        var up = await ca.PostForm("/icon/upload", ("prefix", "album"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20))));
        var url = up.Str("url")!;
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(ImagesUrlFixture.Cdn)}/uploads/[0-9a-f]{{2}}/([0-9a-f]{{32}})/album/[0-9a-f]{{32}}\\.jpg$", url);
        var segments = new Uri(url).AbsolutePath.Split('/');
        using var redirected = await Unsigned($"/image/uploads/{segments[^3]}/album/{segments[^1]}");
        Assert.Equal(HttpStatusCode.Found, redirected.StatusCode);
        Assert.Equal(url, redirected.Headers.Location!.ToString());
    }
}

/// <summary>A size configured after icons were stored: their renditions are made when first asked for.</summary>
public sealed class IconSizeAddedLaterTests
{
    [Fact]
    public async Task A_rendition_missing_because_its_size_came_later_is_made_on_first_use_and_kept()
    {
        var home = BackendServer.CreateHome();
        try
        {
            TestAccount a;
            await using (var before = await BackendServer.StartAsync([], home))
            {
                a = await Accounts.Add(before, null);
                using var ca = before.Client(a);
                ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(40, 20)))));
            }
            await using var after = await BackendServer.StartAsync(["-api-icon-sizes", "account:thumb=10"], home);
            using var client = after.Client(a);
            var thumb = await GetBytes(client, "/account/get/icon?size=thumb");
            Assert.Equal(200, thumb.Status);
            Assert.Equal((10, 5), Images.TestImages.Dimensions(thumb.Body));
            var kept = Directory.GetFiles(Path.Combine(home, "images"), "0.*@thumb.jpg", SearchOption.AllDirectories);
            Assert.Single(kept);
            Assert.Equal(thumb.Body, await File.ReadAllBytesAsync(kept[0], TestContext.Current.CancellationToken));
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }
}
