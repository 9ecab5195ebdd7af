using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>The bad-input sweep over the icon endpoints: bad prefixes, types, ids, image parameters, ACLs, details and
/// images are each a 4xx in the JSON error shape, never a 500, and write nothing (no row in a select, no file in the
/// images store for the account). Every test uses accounts of its own.</summary>
public sealed class IconBadInputTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static readonly string Jpeg = Convert.ToBase64String(Images.TestImages.Photo(10, 10));

    private static readonly string Long = new('a', 10_000);

    private static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];

    /// <summary>Nothing of <paramref name="account"/>'s is stored: no account icon, none under the prefixes the sweep
    /// uses, no file in the images store.</summary>
    private async Task AssertNothingStored(BackendClient client, TestAccount account)
    {
        Assert.Empty((await client.Get("/account/select/icon")).Array);
        foreach (var prefix in new[] { "album", "p", "a" })
            Assert.Empty((await client.Get("/icon/select", ("prefix", prefix))).Array);
        using var admin = fixture.Client(fixture.Admin);
        Assert.Empty((await admin.Get("/data/select/bk_icon", ("id", account.Id))).Data);
        Assert.DoesNotContain(MessageTestSupport.ImageFiles(fixture.Server), f => f.Replace('\\', '/').Contains("/" + Hash(account.Id) + "/", StringComparison.Ordinal));
    }

    /// <summary>A 4xx error in the JSON shape (<see cref="ApiAssert.Error"/>), with the exact status when given.</summary>
    private static void Refused(ApiResponse r, string what, int? status = null)
    {
        Assert.True(r.Status is >= 400 and < 500, $"{what}: expected a 4xx, got {r}");
        if (status is { } s) Assert.True(r.Status == s, $"{what}: expected {s}, got {r}");
        ApiAssert.Error(r, r.Status);
    }

    /// <summary>A refused plain URL (<c>/image/account/ID/TYPE</c>): as <see cref="Refused"/>, except that a NUL in
    /// the path is refused by Kestrel itself, a 400 with an empty body (docs/api.md, "a request line ... that is not
    /// HTTP"), before any application code runs.</summary>
    private static void RefusedPath(ApiResponse r, string path)
    {
        if (path.Contains("%00", StringComparison.Ordinal))
        {
            Assert.True(r.Status == 400 && r.Body.Length == 0, $"{path}: expected Kestrel's 400, got {r}");
            return;
        }
        Refused(r, path);
    }

    /// <summary>Bad values of <c>type</c> for the account icon endpoints, as raw (already encoded) values.</summary>
    public static TheoryData<string> BadAccountTypes => new()
    {
        "A", "10", "00", "..", ".", "%2e%2e", "%2F", "a%2Fb", "%5C", "..%2F..%2Fetc%2Fpasswd", "%00", "0%00", "%C3%A9", "%E2%80%AE",
        "-1", "%20", "0%0A", Long,
    };

    [Theory]
    [MemberData(nameof(BadAccountTypes))]
    public async Task Bad_account_icon_types_are_400_and_write_nothing(string type)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var query = "type=" + type;
        Refused(await ca.PostFormRaw("/account/put/icon", query + "&icon=" + Uri.EscapeDataString(Jpeg)), "put form", 400);
        Refused(await ca.GetRaw("/account/put/icon", query + "&icon=" + Uri.EscapeDataString(Jpeg)), "put query", 400);
        Refused(await ca.PostJson("/account/put/icon", new JsonObject { ["type"] = Uri.UnescapeDataString(type), ["icon"] = Jpeg }), "put json", 400);
        Refused(await ca.Send(HttpMethod.Post, "/account/put/icon", query, Images.TestImages.Photo(10, 10), "image/jpeg", null), "put raw", 400);
        Refused(await ca.GetRaw("/account/get/icon", query + "&id=" + a.Id), "get", 400);
        Refused(await ca.GetRaw("/account/del/icon", query), "del", 400);
        // The plain URL: a 4xx (400 for a bad type, or no such route).
        if (type.Length < 1000) RefusedPath(await ca.GetRaw($"/image/account/{a.Id}/{type}", ""), $"/image/account/ID/{type}");
        await AssertNothingStored(ca, a);
    }

    /// <summary>Bad prefixes and types of <c>/icon/*</c>, as raw query parts.</summary>
    public static TheoryData<string> BadPrefixTypes => new()
    {
        "type=t",
        "prefix=&type=t",
        "prefix=..&type=t",
        "prefix=.&type=t",
        "prefix=%2e%2e&type=t",
        "prefix=a%2Fb&type=t",
        "prefix=%2Ftmp&type=t",
        "prefix=a%5Cb&type=t",
        "prefix=..%5C..&type=t",
        "prefix=a%00&type=t",
        "prefix=caf%C3%A9&type=t",
        "prefix=Album&type=t",
        "prefix=a%3Ab&type=t",
        "prefix=a%20b&type=t",
        "prefix=" + new string('p', 65) + "&type=t",
        "prefix=" + Long + "&type=t",
        "prefix=album&type=..",
        "prefix=album&type=.",
        "prefix=album&type=%2e%2e",
        "prefix=album&type=a%2Fb",
        "prefix=album&type=..%2F..%2Fx",
        "prefix=album&type=a%5Cb",
        "prefix=album&type=a%00b",
        "prefix=album&type=a%0Ab",
        "prefix=album&type=%C3%A9",
        "prefix=album&type=a%E2%80%AEb",
        "prefix=album&type=a%20b",
        "prefix=album&type=a~b",
        "prefix=album&type=" + new string('t', 129),
        "prefix=album&type=" + Long,
    };

    [Theory]
    [MemberData(nameof(BadPrefixTypes))]
    public async Task Bad_icon_prefixes_and_types_are_400_and_write_nothing(string query)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.PostFormRaw("/icon/put", query + "&icon=" + Uri.EscapeDataString(Jpeg)), "put form", 400);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", query, Images.TestImages.Photo(10, 10), "image/jpeg", null), "put raw", 400);
        Refused(await ca.GetRaw("/icon/get", query + "&id=" + a.Id), "get", 400);
        Refused(await ca.GetRaw("/icon/del", query), "del", 400);
        Refused(await ca.GetRaw("/icon/select", query + "&id=" + a.Id), "select", 400);
        await AssertNothingStored(ca, a);
    }

    /// <summary>Ids that are no account's: a 404 or an empty list (or a 400), never a 500.</summary>
    public static TheoryData<string> BadIds => new()
    {
        "..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "a%5Cb", "a%00b", "%C3%A9%E2%80%AE", "%2A", "%25", Long,
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task Odd_ids_are_a_4xx_or_nothing_never_a_500(string id)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.GetRaw("/account/get/icon", "type=0&id=" + id), "account/get/icon");
        Refused(await ca.GetRaw("/icon/get", "prefix=album&type=t&id=" + id), "icon/get");
        foreach (var (path, query) in new[] { ("/account/select/icon", "id=" + id), ("/icon/select", "prefix=album&id=" + id) })
        {
            var r = await ca.GetRaw(path, query);
            if (r.Status == 200) Assert.Empty(r.Array);
            else Refused(r, path);
        }
        if (id.Length < 1000) RefusedPath(await ca.GetRaw($"/image/account/{id}/0", ""), $"/image/account/{id}/0");
    }

    /// <summary>Bad image parameters and details, each with the status the API documents.</summary>
    public static TheoryData<string, string, int> BadParameters => new()
    {
        { "_ext", "bmp", 415 },
        { "_ext", "exe", 415 },
        { "_ext", "..%2F..%2Fx", 415 },
        { "_ext", "jpg%00", 415 },
        { "_ext", "%C3%A9", 415 },
        { "_ext", Long, 415 },
        { "_width", "abc", 400 },
        { "_width", "1.5", 400 },
        { "_width", "0x10", 400 },
        { "_width", "1e3", 400 },
        { "_width", "NaN", 400 },
        { "_width", "999999", 400 },
        { "_width", "-999999", 400 },
        { "_width", "2147483648", 400 },
        { "_width", Long, 400 },
        { "_width", "20001", 413 },
        { "_height", "x", 400 },
        { "_height", "-2147483649", 400 },
        { "_height", "100001", 400 },
        { "_height", "-20001", 413 },
        { "_quality", "101", 400 },
        { "_quality", "-1", 400 },
        { "_quality", "q", 400 },
        { "acl_allow", new string('x', 4097), 400 },
        { "acl_allow", string.Join("%2C", Enumerable.Range(0, 101).Select(i => "id" + i)), 400 },
        { "acl_allow", new string('i', 129), 400 },
        { "acl_allow", "a%01b", 400 },
        { "acl_allow", "ok%2Ca%00b", 400 },
        { "acl_allow", "%2C%2C%2C", 400 },
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public async Task Bad_image_parameters_and_acls_are_refused_and_write_nothing(string name, string value, int status)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var param = name + "=" + value;
        var icon = "&icon=" + Uri.EscapeDataString(Jpeg);
        Refused(await ca.PostFormRaw("/account/put/icon", param + icon), $"account/put/icon {name}", status);
        Refused(await ca.PostFormRaw("/icon/put", "prefix=album&type=t&" + param + icon), $"icon/put {name}", status);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", "prefix=album&type=t&" + param, Images.TestImages.Photo(10, 10), "image/jpeg", null), $"icon/put raw {name}", status);
        await AssertNothingStored(ca, a);
    }

    /// <summary>Upscaling a tiny image past the pixel limit (both sides within the side limit): 413.</summary>
    [Fact]
    public async Task Asking_for_more_pixels_than_the_limit_is_413_and_writes_nothing()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.PostForm("/account/put/icon", ("icon", Jpeg), ("_width", "20000"), ("_height", "20000")), "20000x20000", 413);
        Refused(await ca.PostForm("/icon/put", ("prefix", "album"), ("icon", Jpeg), ("_width", "10000")), "10000 wide", 413);
        await AssertNothingStored(ca, a);
    }

    public static TheoryData<string, string, int> BadDetails => new()
    {
        { "descr", new string('d', 1025), 400 },
        { "descr", Long, 400 },
        { "latitude", "91&longitude=0", 400 },
        { "latitude", "-90.0001&longitude=0", 400 },
        { "latitude", "0&longitude=180.5", 400 },
        { "latitude", "0&longitude=-181", 400 },
        { "latitude", "abc&longitude=0", 400 },
        { "latitude", "NaN&longitude=0", 400 },
        { "latitude", "Infinity&longitude=0", 400 },
        { "latitude", "1e400&longitude=0", 400 },
        { "latitude", "0x10&longitude=0", 400 },
        { "latitude", "1%2C5&longitude=0", 400 },
        { "latitude", "10", 400 },
        { "longitude", "10", 400 },
        { "latitude", Long + "&longitude=0", 400 },
    };

    [Theory]
    [MemberData(nameof(BadDetails))]
    public async Task Bad_details_are_400_and_write_nothing(string name, string value, int status)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.PostFormRaw("/icon/put", $"prefix=album&type=t&{name}={value}&icon=" + Uri.EscapeDataString(Jpeg)), $"icon/put {name}", status);
        await AssertNothingStored(ca, a);
    }

    /// <summary>The <c>account</c> prefix through <c>/icon/put</c> with a type the account icon endpoints refuse
    /// (<c>A</c>, <c>10</c>, none, <c>a:b</c>): either refused, or an icon that <c>/account/select/icon</c> lists with a
    /// <c>url</c> that serves it and that <c>/account/del/icon</c> can delete.</summary>
    [Theory]
    [InlineData("A")]
    [InlineData("10")]
    [InlineData("")]
    [InlineData("a:b")]
    public async Task Account_icons_made_through_icon_put_follow_the_account_icon_rules(string type)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var put = await ca.PostForm("/icon/put", ("prefix", "account"), ("type", type), ("icon", Jpeg));
        if (put.Status != 200)
        {
            Refused(put, "icon/put prefix=account", 400);
            await AssertNothingStored(ca, a);
            return;
        }
        foreach (var row in (await ca.Get("/account/select/icon")).Array)
        {
            var url = row!["url"]!.GetValue<string>();
            Assert.True((await MessageTestSupport.GetBytes(ca, url)).Status == 200, $"/account/select/icon lists {url}, which does not serve it");
            ApiAssert.Ok(await ca.Get("/account/del/icon", ("type", row["type"]!.GetValue<string>())));
        }
        await AssertNothingStored(ca, a);
    }

    /// <summary>A NUL in <c>descr</c>: stored as given where the database can hold it; PostgreSQL text cannot (a 400 from
    /// the data layer, docs/db.md), and then the refused put must leave the icon it would have replaced as it was: the
    /// same bytes, served by the same ACL.</summary>
    [Fact]
    public async Task A_put_the_database_refuses_leaves_the_replaced_icon_as_it_was()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "album"), ("type", "t"), ("icon", Convert.ToBase64String(Images.TestImages.Photo(20, 20))), ("acl_allow", "all"), ("descr", "public")));
        var before = await MessageTestSupport.GetBytes(cb, $"/icon/get?prefix=album&type=t&id={a.Id}");
        Assert.Equal(200, before.Status);
        var select = (await ca.Get("/icon/select", ("prefix", "album"))).Body;

        // A different (private) picture, same format, whose row the database may refuse.
        var put = await ca.PostJson("/icon/put", new JsonObject
        {
            ["prefix"] = "album", ["type"] = "t", ["icon"] = Convert.ToBase64String(Images.TestImages.Photo(30, 20)), ["acl_allow"] = "", ["descr"] = "nul\0byte",
        });
        if (put.Status == 200)
        {
            Assert.Equal("nul\0byte", Assert.Single((await ca.Get("/icon/select", ("prefix", "album"))).Array)!["descr"]!.GetValue<string>());
            Assert.Equal(404, (await MessageTestSupport.GetBytes(cb, $"/icon/get?prefix=album&type=t&id={a.Id}")).Status);
            return;
        }
        Refused(put, "descr with NUL", 400);
        var after = await MessageTestSupport.GetBytes(cb, $"/icon/get?prefix=album&type=t&id={a.Id}");
        Assert.Equal(200, after.Status);
        Assert.True(before.Body.AsSpan().SequenceEqual(after.Body), "the refused upload replaced the bytes of the public icon");
        Assert.Equal(select, (await ca.Get("/icon/select", ("prefix", "album"))).Body);
    }

    /// <summary>A GIF whose screen and image descriptor declare <paramref name="width"/> x <paramref name="height"/>.</summary>
    private static byte[] GifBomb(ushort width, ushort height)
    {
        var b = new List<byte>("GIF89a"u8.ToArray());
        void U16(ushort v) => b.AddRange([(byte)v, (byte)(v >> 8)]);
        U16(width);
        U16(height);
        b.AddRange([0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // global colour table of 2
        b.Add(0x2C);
        U16(0);
        U16(0);
        U16(width);
        U16(height);
        b.Add(0);
        b.AddRange([2, 2, 0x4C, 0x01, 0, 0x3B]);
        return [.. b];
    }

    public static TheoryData<string, int> BadImages => new()
    {
        { "text", 400 },
        { "empty-bytes", 400 },
        { "truncated-jpeg", 400 },
        { "truncated-png", 400 },
        { "header-only-jpeg", 400 },
        { "png-magic-garbage", 400 },
        { "png-bomb", 413 },
        { "png-bomb-side", 413 },
        { "png-zero", 400 },
        { "gif-bomb", 413 },
        { "svg", 400 },
        { "bmp", 400 },
    };

    private static byte[] BadImage(string kind)
    {
        var jpeg = Images.TestImages.Photo(64, 64);
        var png = MessageTestSupport.Png(4000);
        return kind switch
        {
            "text" => "not an image at all"u8.ToArray(),
            "empty-bytes" => [0],
            "truncated-jpeg" => jpeg[..(jpeg.Length / 2)],
            "truncated-png" => png[..(png.Length / 2)],
            "header-only-jpeg" => jpeg[..3],
            "png-magic-garbage" => [.. png[..8], .. RandomNumberGenerator.GetBytes(500)],
            "png-bomb" => Images.TestImages.PngBomb(50_000, 50_000),
            "png-bomb-side" => Images.TestImages.PngBomb(30_000, 1),
            "png-zero" => Images.TestImages.PngBomb(0, 0),
            "gif-bomb" => GifBomb(65_535, 65_535),
            "svg" => "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>"u8.ToArray(),
            "bmp" => [(byte)'B', (byte)'M', .. new byte[60]],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task Bad_images_are_refused_and_write_nothing(string kind, int status)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var bytes = BadImage(kind);
        var b64 = Convert.ToBase64String(bytes);
        Refused(await ca.PostForm("/account/put/icon", ("icon", b64)), $"{kind} account form", status);
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = b64 }), $"{kind} icon json", status);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", "prefix=album", bytes, "image/png", null), $"{kind} icon raw", status);
        Refused(await Multipart(ca, "/account/put/icon", bytes), $"{kind} account multipart", status);
        await AssertNothingStored(ca, a);
    }

    public static TheoryData<string> BadBase64 => new()
    {
        "!!!!",
        "@@@@@@@@",
        "%%%%",
        "=",
        "====",
        "a",
        "data:image/png;base64,",
        "data:image/png;base64,****",
        "data:,",
        "%C3%A9%C3%A9%C3%A9%C3%A9",
        "%00%00%00%00",
        "..%2F..%2Fetc%2Fpasswd",
        Long.Replace('a', '*'),
    };

    [Theory]
    [MemberData(nameof(BadBase64))]
    public async Task Base64_garbage_is_400_and_writes_nothing(string icon)
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.PostFormRaw("/account/put/icon", "icon=" + icon), "account form", 400);
        Refused(await ca.GetRaw("/icon/put", "prefix=album&icon=" + icon), "icon query", 400);
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = Uri.UnescapeDataString(icon) }), "icon json", 400);
        await AssertNothingStored(ca, a);
    }

    [Fact]
    public async Task A_missing_or_empty_icon_is_400_and_writes_nothing()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        Refused(await ca.Get("/account/put/icon"), "no icon", 400);
        Refused(await ca.Get("/account/put/icon", ("icon", "")), "empty icon", 400);
        Refused(await ca.Get("/icon/put", ("prefix", "album")), "no icon", 400);
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = null }), "null icon", 400);
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = 12 }), "number icon", 400);
        // A JSON array is a parameter's values joined by commas (as everywhere): not base64.
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = new JsonArray(Jpeg, Jpeg) }), "array icon", 400);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", "prefix=album", [], "image/png", null), "empty raw body", 400);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", "prefix=album", Images.TestImages.Photo(10, 10), "application/octet-stream", null), "raw non-image type", 400);
        await AssertNothingStored(ca, a);
    }

    [Fact]
    public async Task Uploads_over_1_MiB_are_413_and_write_nothing()
    {
        var a = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        // Refused up front: without 100-continue the refusal would race with the upload.
        ca.ExpectContinue = true;
        // PNG magic then noise: a size check that is missing would show as a 400 instead.
        byte[] big = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. RandomNumberGenerator.GetBytes(1024 * 1024)];
        Refused(await ca.Send(HttpMethod.Post, "/account/put/icon", "", big, "image/png", null), "raw", 413);
        Refused(await ca.Send(HttpMethod.Post, "/icon/put", "prefix=album", big, "image/png", null), "raw icon", 413);
        Refused(await Multipart(ca, "/account/put/icon", big), "multipart", 413);
        Refused(await Multipart(ca, "/icon/put", big, ("prefix", "album")), "multipart icon", 413);
        // Base64 of a bit over 1 MiB in JSON and form bodies (also over the request limit).
        var b64 = Convert.ToBase64String(big);
        Refused(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "album", ["icon"] = b64 }), "json", 413);
        Refused(await ca.PostForm("/account/put/icon", ("icon", b64)), "form", 413);
        await AssertNothingStored(ca, a);
    }

    private static async Task<ApiResponse> Multipart(BackendClient client, string path, byte[] file, params (string Name, string Value)[] fields)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        content.Add(part, "icon", "icon.bin");
        var bytes = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return await client.Send(HttpMethod.Post, path, "", bytes, content.Headers.ContentType!.ToString(), null);
    }
}
