using Backend.Tests.Images;
using NetVips;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>Message images go through the image processor (docs/images.md): what <c>/message/image</c> serves is
/// upright and has no metadata, and <c>_width</c>/<c>_height</c>/<c>_ext</c> on <c>/message/add</c> size and convert it.</summary>
public sealed class MessageImageProcessingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_jpeg_with_gps_exif_comes_back_upright_without_any_exif()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var photo = TestImages.Photo(400, 300, 6);
        Assert.True(TestImages.Contains(photo, "GPS") || TestImages.Contains(photo, "Exif"));
        var added = await SendMultipart(ca, photo, ("id", b.Id), ("msg", "where am I"));
        ApiAssert.Ok(added);

        var (status, type, body) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={added.Object["mtime"]}");
        Assert.Equal(200, status);
        Assert.Equal("image/jpeg", type);
        Assert.False(TestImages.Contains(body, "Exif"));
        Assert.False(TestImages.Contains(body, "GPS"));
        using var image = Image.NewFromBuffer(body);
        Assert.DoesNotContain(image.GetFields(), f => f is "exif-data" or "xmp-data" or "orientation" || f.StartsWith("exif-", StringComparison.Ordinal));
        Assert.Equal((300, 400), (image.Width, image.Height));
    }

    [Fact]
    public async Task Width_height_and_ext_resize_and_convert_the_stored_image()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var photo = TestImages.Photo(400, 300);
        var added = await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(photo)), ("_width", "100"), ("_ext", "png"));
        ApiAssert.Ok(added);
        var (status, type, body) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={added.Object["mtime"]}");
        Assert.Equal(200, status);
        Assert.Equal("image/png", type);
        using var image = Image.NewFromBuffer(body);
        Assert.Equal((100, 75), (image.Width, image.Height));
        Assert.Contains(ImageFiles(fixture.Server), f => f.EndsWith(".png", StringComparison.Ordinal) && File.ReadAllBytes(f).SequenceEqual(body));

        // Negative: shrink only, so a smaller image keeps its size.
        var kept = await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(photo)), ("_width", "-1000"), ("_height", "-1000"));
        ApiAssert.Ok(kept);
        var (_, keptType, keptBody) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={kept.Object["mtime"]}");
        Assert.Equal("image/jpeg", keptType);
        using var keptImage = Image.NewFromBuffer(keptBody);
        Assert.Equal((400, 300), (keptImage.Width, keptImage.Height));
    }

    [Fact]
    public async Task A_raw_image_body_is_accepted()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var photo = TestImages.Photo(64, 48, 1, "webp");
        var added = await ca.Send(HttpMethod.Post, "/message/add", $"id={b.Id}&msg=raw&_width=32", photo, "image/webp", null);
        ApiAssert.Ok(added);
        var (status, type, body) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={added.Object["mtime"]}");
        Assert.Equal(200, status);
        Assert.Equal("image/webp", type);
        using var image = Image.NewFromBuffer(body);
        Assert.Equal((32, 24), (image.Width, image.Height));
    }

    [Fact]
    public async Task Damaged_images_and_bad_image_parameters_are_client_errors()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var photo = TestImages.Photo(200, 150, 1, "png");
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(photo[..(photo.Length / 2)]))), 400);
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(photo)), ("_ext", "bmp")), 415);
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(photo)), ("_width", "wide")), 400);
        ApiAssert.Error(await ca.PostForm("/message/add", ("id", b.Id), ("icon", Convert.ToBase64String(TestImages.PngBomb(50_000, 50_000)))), 413);
        // Nothing was stored for any of them.
        Assert.Empty(await Box(fixture.Client(b), "/message/get"));
    }
}
