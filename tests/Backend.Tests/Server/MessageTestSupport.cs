using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Backend.Images;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetVips;

namespace Backend.Tests.Server;

/// <summary>Helpers of the message tests: sample images, sending messages, reading boxes, and fetching image bytes
/// (<see cref="BackendClient"/> reads bodies as text, which would not be byte-exact).</summary>
public static class MessageTestSupport
{
    private static readonly HttpClient Raw = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static readonly VipsImageProcessor Processor = new(Options.Create(new ImageOptions()), NullLogger<VipsImageProcessor>.Instance);

    /// <summary>A real PNG of about <paramref name="size"/> bytes: random pixels (so every image is distinct and every
    /// byte value occurs, so a text or encoding slip shows).</summary>
    public static byte[] Png(int size = 20_000) => Noise(size, i => i.PngsaveBuffer());

    /// <summary>A real JPEG of random pixels, about <paramref name="size"/> bytes.</summary>
    public static byte[] Jpeg(int size = 5_000) => Noise(size * 2 / 3, i => i.JpegsaveBuffer(q: 90));

    /// <summary>A real GIF of random pixels, about <paramref name="size"/> bytes.</summary>
    public static byte[] Gif(int size = 3_000) => Noise(size * 3 / 2, i => i.GifsaveBuffer());

    /// <summary>A real WebP of random pixels, about <paramref name="size"/> bytes.</summary>
    public static byte[] WebP(int size = 3_000) => Noise(size, i => i.WebpsaveBuffer(q: 90));

    /// <summary>What the server stores for an upload sent without <c>_width</c>/<c>_height</c>/<c>_ext</c>: the image
    /// as <see cref="VipsImageProcessor"/> makes it (oriented, metadata stripped; the encoders are deterministic).</summary>
    public static byte[] Stored(byte[] upload) => Processor.ProcessAsync(upload, ImageRequest.AsIs).GetAwaiter().GetResult().Data;

    private static byte[] Noise(int size, Func<Image, byte[]> encode)
    {
        var side = Math.Max(2, (int)Math.Sqrt(size / 3.0));
        var pixels = new byte[side * side * 3];
        Random.Shared.NextBytes(pixels);
        using var image = Image.NewFromMemory(pixels, side, side, 3, Enums.BandFormat.Uchar);
        return encode(image);
    }

    /// <summary>Sends a text message; asserts 200 and returns the reply.</summary>
    public static async Task<JsonObject> Send(BackendClient from, string to, string msg, params (string, string)[] extra)
    {
        var r = await from.Get("/message/add", [("id", to), ("msg", msg), .. extra]);
        ApiAssert.Ok(r);
        return r.Object;
    }

    /// <summary>All rows of a box (every page).</summary>
    public static async Task<List<JsonObject>> Box(BackendClient client, string path, params (string, string)[] query)
    {
        var rows = new List<JsonObject>();
        var token = "";
        do
        {
            var r = await client.Get(path, [.. query, ("_count", "1000"), ("_start", token)]);
            ApiAssert.Ok(r);
            rows.AddRange(r.Data.Select(x => x!.AsObject()));
            token = r.NextToken;
        }
        while (token.Length > 0);
        return rows;
    }

    /// <summary>Multipart POST of <c>/message/add</c> with the given fields and an image file <c>icon</c>.</summary>
    public static async Task<ApiResponse> SendMultipart(BackendClient client, byte[]? icon, params (string Name, string Value)[] fields)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        if (icon is not null)
        {
            var file = new ByteArrayContent(icon);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(file, "icon", "photo.bin");
        }
        var bytes = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return await client.Send(HttpMethod.Post, "/message/add", "", bytes, content.Headers.ContentType!.ToString(), null);
    }

    /// <summary>GETs a path with a raw query, signed as the client's account, and returns status, content type and the
    /// body bytes exactly as sent.</summary>
    public static async Task<(int Status, string? ContentType, byte[] Body)> GetBytes(BackendClient client, string pathAndQuery)
    {
        var parts = pathAndQuery.Split('?', 2);
        var uri = client.Url(parts[0], parts.Length > 1 ? parts[1] : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var signature = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions());
        if (signature is not null) Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", signature));
        using var response = await Raw.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode < 500, $"{pathAndQuery} answered {(int)response.StatusCode}");
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>The image files a server stores (its home's images/ folder).</summary>
    public static string[] ImageFiles(BackendServer server) =>
        Directory.Exists(Path.Combine(server.Home, "images"))
            ? Directory.GetFiles(Path.Combine(server.Home, "images"), "*", SearchOption.AllDirectories)
            : [];
}
