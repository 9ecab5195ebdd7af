using System.Diagnostics;
using Backend.Images;
using NetVips;

namespace Backend.Tests.Images;

/// <summary>The libvips processor on images made in code: orientation, metadata stripped, the _width/_height rules,
/// formats, alpha, and refusals (not an image, unsupported output, pixel bomb) as <see cref="ImageException"/>s.</summary>
public sealed class VipsImageProcessorTests
{
    private static readonly VipsImageProcessor Processor = TestImages.Processor();

    private static Task<ProcessedImage> Process(byte[] input, ImageRequest? request = null) =>
        Processor.ProcessAsync(input, request ?? ImageRequest.AsIs, TestContext.Current.CancellationToken);

    private static void AssertNoMetadata(byte[] output)
    {
        using var image = Image.NewFromBuffer(output);
        var fields = image.GetFields();
        Assert.DoesNotContain(fields, f => f is "exif-data" or "xmp-data" or "iptc-data" or "orientation" || f.StartsWith("exif-", StringComparison.Ordinal));
        foreach (var marker in new[] { "Exif", "GPS", "xpacket", "adobe:ns:meta", "Cam\0" })
            Assert.False(TestImages.Contains(output, marker), $"output contains {marker}");
    }

    [Fact]
    public void The_test_photo_carries_exif_gps_and_xmp()
    {
        // The inputs must have what the processor is to remove, or the tests below prove nothing.
        var input = TestImages.Photo(400, 300, 6);
        using var image = Image.NewFromBuffer(input);
        Assert.Equal(6, (int)image.Get("orientation"));
        Assert.Contains("exif-data", image.GetFields());
        Assert.Contains("xmp-data", image.GetFields());
        Assert.Contains(image.GetFields(), f => f.StartsWith("exif-ifd3-GPSLatitude", StringComparison.Ordinal));
        Assert.True(TestImages.Contains(input, "Exif"));
    }

    [Theory]
    [InlineData("jpg")]
    [InlineData("png")]
    [InlineData("webp")]
    public async Task An_orientation_6_photo_comes_out_upright_without_any_metadata(string format)
    {
        var output = await Process(TestImages.Photo(400, 300, 6, format));
        Assert.Equal((300, 400), (output.Width, output.Height));
        Assert.Equal(format, output.Format);
        AssertNoMetadata(output.Data);
        using var image = Image.NewFromBuffer(output.Data);
        Assert.Equal((300, 400), (image.Width, image.Height));
        // Orientation 6: the stored top-left corner is displayed at the top right.
        var topRight = image.Getpoint(image.Width - 10, 10);
        var topLeft = image.Getpoint(10, 10);
        Assert.True(topRight[0] > 180 && topRight[1] < 80, $"top right {string.Join(",", topRight)}");
        Assert.True(topLeft[0] < 180, $"top left {string.Join(",", topLeft)}");
    }

    [Fact]
    public async Task An_orientation_1_photo_keeps_its_size_and_loses_its_gps()
    {
        var output = await Process(TestImages.Photo(400, 300, 1));
        Assert.Equal((400, 300), (output.Width, output.Height));
        Assert.Equal("image/jpeg", output.ContentType);
        AssertNoMetadata(output.Data);
    }

    [Theory]
    [InlineData(0, 0, 400, 300)]          // as is
    [InlineData(200, 0, 200, 150)]        // positive: down
    [InlineData(800, 0, 800, 600)]        // positive: up
    [InlineData(-200, 0, 200, 150)]       // negative on a larger image: down
    [InlineData(-800, 0, 400, 300)]       // negative on a smaller image: kept
    [InlineData(0, 150, 200, 150)]        // height only
    [InlineData(0, -600, 400, 300)]
    [InlineData(0, -30, 40, 30)]
    [InlineData(100, 100, 100, 75)]       // both: fit in the box
    [InlineData(300, 100, 133, 100)]
    [InlineData(-1000, -1000, 400, 300)]  // both negative, image smaller: kept
    [InlineData(-100, -100, 100, 75)]
    public async Task Sizes_follow_the_width_and_height_rules(int w, int h, int ew, int eh)
    {
        var output = await Process(TestImages.Photo(400, 300), new ImageRequest { Width = w, Height = h });
        Assert.Equal((ew, eh), (output.Width, output.Height));
        using var image = Image.NewFromBuffer(output.Data);
        Assert.Equal((ew, eh), (image.Width, image.Height));
    }

    [Fact]
    public async Task Sizes_apply_to_the_displayed_orientation()
    {
        var output = await Process(TestImages.Photo(400, 300, 6), new ImageRequest { Width = 150 });
        Assert.Equal((150, 200), (output.Width, output.Height));
    }

    [Theory]
    [InlineData("jpg", "png")]
    [InlineData("jpg", "gif")]
    [InlineData("jpg", "webp")]
    [InlineData("png", "jpg")]
    [InlineData("gif", "gif")]
    [InlineData("gif", "png")]
    [InlineData("webp", "jpg")]
    [InlineData("webp", "webp")]
    [InlineData("png", "jpeg")]
    public async Task Formats_round_trip(string from, string to)
    {
        var output = await Process(TestImages.Photo(120, 90, 1, from), new ImageRequest { Format = to });
        var expected = to == "jpeg" ? "jpg" : to;
        Assert.Equal(expected, output.Format);
        Assert.Equal(expected, ImageFormats.Sniff(output.Data)?.Extension);
        Assert.Equal(ImageFormats.ContentTypeOfExtension(expected), output.ContentType);
        using var image = Image.NewFromBuffer(output.Data);
        Assert.Equal((120, 90), (image.Width, image.Height));
        AssertNoMetadata(output.Data);
    }

    [Theory]
    [InlineData("jpg")]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("webp")]
    public async Task The_input_format_is_kept_by_default(string format)
    {
        var output = await Process(TestImages.Photo(64, 48, 1, format));
        Assert.Equal(format, output.Format);
        Assert.Equal(format, ImageFormats.Sniff(output.Data)?.Extension);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("webp")]
    [InlineData("gif")]
    public async Task Alpha_is_kept_in_formats_that_have_it(string to)
    {
        var output = await Process(TestImages.Transparent(64, 32), new ImageRequest { Format = to });
        using var image = Image.NewFromBuffer(output.Data);
        Assert.True(image.HasAlpha());
        Assert.Equal(0, image.Getpoint(0, 16)[3]);
        Assert.True(image.Getpoint(63, 16)[3] > 200);
    }

    [Fact]
    public async Task Alpha_is_flattened_on_white_in_jpeg()
    {
        var output = await Process(TestImages.Transparent(64, 32), new ImageRequest { Format = "jpg" });
        using var image = Image.NewFromBuffer(output.Data);
        Assert.Equal(3, image.Bands);
        var left = image.Getpoint(1, 16);
        Assert.All(left, v => Assert.True(v > 240, $"transparent pixel flattened to {string.Join(",", left)}"));
        var right = image.Getpoint(62, 16);
        Assert.True(right[2] > 200 && right[0] < 60, $"opaque blue pixel is {string.Join(",", right)}");
    }

    [Fact]
    public async Task Quality_changes_the_jpeg()
    {
        var input = TestImages.Photo(300, 200);
        var low = await Process(input, new ImageRequest { Quality = 10 });
        var high = await Process(input, new ImageRequest { Quality = 95 });
        Assert.True(low.Data.Length < high.Data.Length);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5 }, 415)]
    [InlineData(new byte[] { (byte)'B', (byte)'M', 0, 0, 0, 0 }, 415)]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0 }, 400)]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a' }, 400)]
    public async Task Not_an_image_is_refused(byte[] input, int status)
    {
        var ex = await Assert.ThrowsAsync<ImageException>(() => Process(input));
        Assert.Equal(status, ex.Status);
    }

    [Fact]
    public async Task A_truncated_png_is_refused()
    {
        var png = TestImages.Photo(200, 150, 1, "png");
        var ex = await Assert.ThrowsAsync<ImageException>(() => Process(png[..(png.Length / 2)]));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task An_unsupported_output_format_is_415()
    {
        var ex = await Assert.ThrowsAsync<ImageException>(() => Process(TestImages.Photo(20, 20), new ImageRequest { Format = "bmp" }));
        Assert.Equal(415, ex.Status);
    }

    [Fact]
    public async Task A_requested_size_beyond_the_limits_is_413()
    {
        var processor = TestImages.Processor(new ImageOptions { MaxPixels = 1_000_000, MaxSide = 2000 });
        var ct = TestContext.Current.CancellationToken;
        var input = TestImages.Photo(40, 30);
        Assert.Equal(413, (await Assert.ThrowsAsync<ImageException>(() => processor.ProcessAsync(input, new ImageRequest { Width = 3000 }, ct))).Status);
        Assert.Equal(413, (await Assert.ThrowsAsync<ImageException>(() => processor.ProcessAsync(input, new ImageRequest { Width = 1500, Height = 1500 }, ct))).Status);
        var ok = await processor.ProcessAsync(input, new ImageRequest { Width = 1000 }, ct);
        Assert.Equal((1000, 750), (ok.Width, ok.Height));
        // The input's own size counts too.
        var big = TestImages.Photo(1200, 1000);
        Assert.Equal(413, (await Assert.ThrowsAsync<ImageException>(() => processor.ProcessAsync(big, ImageRequest.AsIs, ct))).Status);
    }

    [Fact]
    public async Task A_png_pixel_bomb_is_refused_on_its_header_at_once_without_memory_growth()
    {
        var bomb = TestImages.PngBomb(50_000, 50_000);
        Assert.True(bomb.Length < 1000);
        // Warm up libvips so its own start is not counted.
        await Process(TestImages.Photo(16, 16, 1, "png"));
        var rss = TestImages.Rss();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var ex = await Assert.ThrowsAsync<ImageException>(() => Process(bomb));
            Assert.Equal(413, ex.Status);
            Assert.Contains("50000x50000", ex.Message, StringComparison.Ordinal);
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"20 bombs took {watch.Elapsed}");
        var growth = TestImages.Rss() - rss;
        Assert.True(growth < 32L << 20, $"RSS grew by {growth >> 20} MiB");
    }

    [Theory]
    [InlineData(1, 1, 0, 0, 1, 1)]
    [InlineData(1000, 10, 10, 0, 10, 1)]
    [InlineData(10, 1000, 0, 10, 1, 10)]
    [InlineData(3000, 4000, -1024, -1024, 768, 1024)]
    [InlineData(3000, 4000, 256, 256, 192, 256)]
    [InlineData(50, 40, -100, 0, 50, 40)]
    [InlineData(50, 40, 100, -10, 13, 10)]
    public void Target_sizes(int dw, int dh, int w, int h, int ew, int eh) =>
        Assert.Equal((ew, eh), VipsImageProcessor.TargetSize(dw, dh, w, h));
}
