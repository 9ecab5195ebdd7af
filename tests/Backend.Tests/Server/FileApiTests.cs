using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using static Backend.Tests.Server.FileTestSupport;

namespace Backend.Tests.Server;

/// <summary>The files API (<c>/file/get</c>, <c>/file/put</c>, <c>/file/del</c>) on the local files store: round trips
/// by multipart, JSON base64, form/query base64 and raw body, byte-exact; <c>_name</c>, <c>_tm</c>, <c>_ext</c>; 404s;
/// conditional GETs; who may do what by default.</summary>
public sealed class FileApiTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static async Task AssertFile(BackendClient client, string prefix, string name, byte[] expected, string type)
    {
        var got = await Fetch(client, prefix, name);
        Assert.Equal(200, got.Status);
        Assert.Equal(type, got.ContentType);
        Assert.Equal(expected, got.Body);
    }

    [Fact]
    public async Task Multipart_json_form_and_raw_uploads_round_trip_byte_exact_and_delete()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var pdf = Bytes(200_000);
        var json = Bytes(30_000);
        var form = Bytes(40_000);
        var raw = Bytes(300_000);
        var query = Bytes(3_000);

        var put = await PutMultipart(admin, pdf, "report.pdf", "whatever.bin", ("prefix", prefix), ("name", "report.pdf"));
        ApiAssert.Ok(put);
        Assert.Equal(prefix, put.Str("prefix"));
        Assert.Equal("report.pdf", put.Str("name"));
        Assert.Equal(pdf.Length, put.Object["size"]!.GetValue<int>());
        Assert.Equal($"/file/get?prefix={prefix}&name=report.pdf", put.Str("url"));
        ApiAssert.Ok(await admin.PostJson("/file/put", new JsonObject { ["prefix"] = prefix, ["name"] = "data.json", ["data"] = Convert.ToBase64String(json) }));
        ApiAssert.Ok(await admin.PostForm("/file/put", ("prefix", prefix), ("name", "f.png"), ("f.png", Convert.ToBase64String(form))));
        ApiAssert.Ok(await PutRaw(admin, raw, "application/octet-stream", ("prefix", prefix), ("name", "blob.bin")));
        // URL-safe base64 without padding in the query.
        ApiAssert.Ok(await admin.Get("/file/put", ("prefix", prefix), ("name", "q.txt"), ("data", Convert.ToBase64String(query).TrimEnd('=').Replace('+', '-').Replace('/', '_'))));

        await AssertFile(admin, prefix, "report.pdf", pdf, "application/pdf");
        await AssertFile(admin, prefix, "data.json", json, "application/json");
        await AssertFile(admin, prefix, "f.png", form, "image/png");
        await AssertFile(admin, prefix, "blob.bin", raw, "application/octet-stream");
        await AssertFile(admin, prefix, "q.txt", query, "text/plain");
        Assert.Contains($"{prefix}/report.pdf", StoredFiles(fixture.Server));

        // A put replaces.
        ApiAssert.Ok(await PutRaw(admin, query, null, ("prefix", prefix), ("name", "blob.bin")));
        await AssertFile(admin, prefix, "blob.bin", query, "application/octet-stream");

        ApiAssert.Ok(await admin.Get("/file/del", ("prefix", prefix), ("name", "blob.bin")));
        Assert.Equal(404, (await Fetch(admin, prefix, "blob.bin")).Status);
        ApiAssert.Error(await admin.Get("/file/del", ("prefix", prefix), ("name", "blob.bin")), 404, "File not found");
        Assert.DoesNotContain($"{prefix}/blob.bin", StoredFiles(fixture.Server));
        // The other files stay.
        await AssertFile(admin, prefix, "report.pdf", pdf, "application/pdf");
    }

    [Fact]
    public async Task The_name_option_picks_the_field_and_tm_and_ext_shape_the_stored_name()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var a = Bytes(1000);
        var b = Bytes(2000);

        // _name picks one of two multipart files.
        using (var content = new MultipartFormDataContent())
        {
            content.Add(new StringContent(prefix), "prefix");
            content.Add(new StringContent("pick.dat"), "name");
            content.Add(new StringContent("second"), "_name");
            content.Add(new ByteArrayContent(a), "first", "a.bin");
            content.Add(new ByteArrayContent(b), "second", "b.bin");
            var bytes = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            ApiAssert.Ok(await admin.Send(HttpMethod.Post, "/file/put", "", bytes, content.Headers.ContentType!.ToString(), null));
        }
        Assert.Equal(b, (await Fetch(admin, prefix, "pick.dat")).Body);
        // Without _name and no field of the name's name: the first file.
        ApiAssert.Ok(await PutMultipart(admin, a, "upload", "x.bin", ("prefix", prefix), ("name", "first.dat")));
        Assert.Equal(a, (await Fetch(admin, prefix, "first.dat")).Body);
        // _name in JSON; a field named by _name that is missing is a 400 even when data is there.
        ApiAssert.Ok(await admin.PostJson("/file/put", new JsonObject { ["prefix"] = prefix, ["name"] = "j.bin", ["_name"] = "content", ["content"] = Convert.ToBase64String(a) }));
        Assert.Equal(a, (await Fetch(admin, prefix, "j.bin")).Body);
        ApiAssert.Error(await admin.PostJson("/file/put", new JsonObject { ["prefix"] = prefix, ["name"] = "k.bin", ["_name"] = "content", ["data"] = Convert.ToBase64String(a) }), 400, "no file content in content");

        // _ext replaces the extension, _tm stamps the name before it.
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var tm = await admin.Get("/file/put", ("prefix", prefix), ("name", "note.txt"), ("_tm", "1"), ("data", Convert.ToBase64String(a)));
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ApiAssert.Ok(tm);
        var stored = tm.Str("name")!;
        Assert.Matches("^note_[0-9]+\\.txt$", stored);
        var stamp = long.Parse(stored["note_".Length..^".txt".Length], CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before - 1000, after + 1000);
        Assert.Equal(a, (await Fetch(admin, prefix, stored)).Body);
        Assert.Equal(404, (await Fetch(admin, prefix, "note.txt")).Status);

        var ext = await admin.Get("/file/put", ("prefix", prefix), ("name", "note.txt"), ("_ext", "md"), ("data", Convert.ToBase64String(a)));
        Assert.Equal("note.md", ext.Str("name"));
        Assert.Equal("text/markdown", (await Fetch(admin, prefix, "note.md")).ContentType);
        Assert.Equal("plain.gif", (await admin.Get("/file/put", ("prefix", prefix), ("name", "plain"), ("_ext", ".gif"), ("data", Convert.ToBase64String(a)))).Str("name"));
        var both = await admin.Get("/file/put", ("prefix", prefix), ("name", "x.tar.gz"), ("_ext", "tgz"), ("_tm", "true"), ("data", Convert.ToBase64String(a)));
        Assert.Matches("^x\\.tar_[0-9]+\\.tgz$", both.Str("name")!);
    }

    [Fact]
    public async Task Missing_files_are_404_and_missing_or_bad_content_400()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var missing = await Fetch(admin, prefix, "nothing.txt");
        Assert.Equal(404, missing.Status);
        Assert.Contains("\"status\":404", Encoding.UTF8.GetString(missing.Body), StringComparison.Ordinal);
        ApiAssert.Error(await admin.Get("/file/del", ("prefix", prefix), ("name", "nothing.txt")), 404);
        ApiAssert.Error(await admin.Get("/file/put", ("prefix", prefix), ("name", "a.txt")), 400);
        ApiAssert.Error(await admin.Get("/file/put", ("prefix", prefix), ("name", "a.txt"), ("data", "!!not base64!!")), 400);
        ApiAssert.Error(await admin.Get("/file/put", ("prefix", prefix), ("name", "a.txt"), ("data", "====")), 400);
        ApiAssert.Error(await admin.Get("/file/put", ("name", "a.txt"), ("data", "YQ")), 400, "prefix is required");
        ApiAssert.Error(await admin.Get("/file/put", ("prefix", prefix), ("data", "YQ")), 400, "name is required");
        ApiAssert.Error(await admin.Get("/file/get", ("prefix", prefix)), 400, "name is required");
        Assert.DoesNotContain(StoredFiles(fixture.Server), f => f.StartsWith(prefix + "/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Conditional_gets_answer_304_until_the_file_changes()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var first = Bytes(5000);
        ApiAssert.Ok(await PutRaw(admin, first, "application/octet-stream", ("prefix", prefix), ("name", "c.bin")));
        var got = await Fetch(admin, prefix, "c.bin");
        Assert.Equal(200, got.Status);
        Assert.NotNull(got.ETag);
        Assert.NotNull(got.LastModified);
        Assert.Contains("private", got.CacheControl, StringComparison.Ordinal);

        var same = await Fetch(admin, prefix, "c.bin", ("If-None-Match", got.ETag!));
        Assert.Equal(304, same.Status);
        Assert.Empty(same.Body);
        Assert.Equal(got.ETag, same.ETag);
        Assert.Equal(304, (await Fetch(admin, prefix, "c.bin", ("If-None-Match", "\"other\", " + got.ETag))).Status);
        Assert.Equal(304, (await Fetch(admin, prefix, "c.bin", ("If-None-Match", "*"))).Status);
        Assert.Equal(304, (await Fetch(admin, prefix, "c.bin", ("If-Modified-Since", got.LastModified!.Value.ToString("R", CultureInfo.InvariantCulture)))).Status);
        Assert.Equal(304, (await Fetch(admin, prefix, "c.bin", ("If-Modified-Since", DateTimeOffset.UtcNow.AddHours(1).ToString("R", CultureInfo.InvariantCulture)))).Status);
        var older = await Fetch(admin, prefix, "c.bin", ("If-Modified-Since", got.LastModified!.Value.AddSeconds(-10).ToString("R", CultureInfo.InvariantCulture)));
        Assert.Equal(200, older.Status);
        Assert.Equal(first, older.Body);
        // If-None-Match wins over If-Modified-Since.
        Assert.Equal(200, (await Fetch(admin, prefix, "c.bin", ("If-None-Match", "\"other\""), ("If-Modified-Since", DateTimeOffset.UtcNow.AddHours(1).ToString("R", CultureInfo.InvariantCulture)))).Status);

        // Replaced (another size, so the tag differs even within the file system's clock tick): the old tag no longer matches.
        var second = Bytes(6000);
        ApiAssert.Ok(await PutRaw(admin, second, "application/octet-stream", ("prefix", prefix), ("name", "c.bin")));
        var changed = await Fetch(admin, prefix, "c.bin", ("If-None-Match", got.ETag!));
        Assert.Equal(200, changed.Status);
        Assert.Equal(second, changed.Body);
        Assert.NotEqual(got.ETag, changed.ETag);
    }

    [Fact]
    public async Task Any_account_may_get_only_admins_may_put_or_delete()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var bytes = Bytes(1000);
        ApiAssert.Ok(await PutRaw(admin, bytes, "application/octet-stream", ("prefix", prefix), ("name", "shared.bin")));

        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        Assert.Equal(bytes, (await Fetch(client, prefix, "shared.bin")).Body);
        ApiAssert.Error(await PutRaw(client, Bytes(10), "application/octet-stream", ("prefix", prefix), ("name", "shared.bin")), 403);
        ApiAssert.Error(await client.Get("/file/put", ("prefix", prefix), ("name", "mine.bin"), ("data", "YWJj")), 403);
        ApiAssert.Error(await PutMultipart(client, Bytes(10), "f", "f.bin", ("prefix", prefix), ("name", "mine.bin")), 403);
        ApiAssert.Error(await client.Get("/file/del", ("prefix", prefix), ("name", "shared.bin")), 403);
        Assert.Equal(bytes, (await Fetch(admin, prefix, "shared.bin")).Body);
        Assert.Equal([$"{prefix}/shared.bin"], StoredFiles(fixture.Server).Where(f => f.StartsWith(prefix + "/", StringComparison.Ordinal)));

        // Unsigned: refused by the access gate.
        using var anonymous = fixture.Client();
        ApiAssert.Error(await anonymous.Get("/file/get", ("prefix", prefix), ("name", "shared.bin")), 400);
        ApiAssert.Error(await anonymous.Get("/file/put", ("prefix", prefix), ("name", "x.bin"), ("data", "YQ")), 400);

        // Deleting the account that read it changes nothing: files are not per account.
        ApiAssert.Ok(await client.Get("/account/del"));
        Assert.Equal(bytes, (await Fetch(admin, prefix, "shared.bin")).Body);
    }

    [Fact]
    public async Task Served_files_cannot_act_as_pages_of_the_origin()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        ApiAssert.Ok(await PutRaw(admin, "<script>alert(1)</script>"u8.ToArray(), "text/html", ("prefix", prefix), ("name", "x.html")));
        var uri = admin.Url("/file/get", BackendClient.Encode(("prefix", prefix), ("name", "x.html")));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", admin.Sign(HttpMethod.Get, uri, null, null, new SignOptions())));
        using var http = new HttpClient();
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("sandbox", string.Join(",", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }
}

/// <summary>A server with <c>-api-unsecure file</c> (every signed-in account may put and delete) and
/// <c>-api-allow-path ^/file/get$</c> (files readable without a signature).</summary>
public sealed class OpenFilesServerFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-unsecure", "file", "-api-allow-path", "^/file/get$"];
}

/// <summary>The access options of the files API: <c>-api-unsecure file</c> and an allow-listed <c>/file/get</c>.</summary>
public sealed class FileAccessOptionTests(OpenFilesServerFixture fixture) : IClassFixture<OpenFilesServerFixture>
{
    [Fact]
    public async Task Api_unsecure_file_lets_every_account_put_and_delete_and_allow_path_opens_get()
    {
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        var prefix = NewPrefix();
        var bytes = Bytes(2000);
        ApiAssert.Ok(await PutRaw(client, bytes, "application/octet-stream", ("prefix", prefix), ("name", "u.bin")));
        using var anonymous = fixture.Client();
        var open = await Fetch(anonymous, prefix, "u.bin");
        Assert.Equal(200, open.Status);
        Assert.Equal(bytes, open.Body);
        // Writing stays signed.
        ApiAssert.Error(await anonymous.Get("/file/put", ("prefix", prefix), ("name", "x.bin"), ("data", "YQ")), 400);
        ApiAssert.Error(await anonymous.Get("/file/del", ("prefix", prefix), ("name", "u.bin")), 400);
        var other = await fixture.AddAccount();
        using var second = fixture.Client(other);
        ApiAssert.Ok(await second.Get("/file/del", ("prefix", prefix), ("name", "u.bin")));
        Assert.Equal(404, (await Fetch(anonymous, prefix, "u.bin")).Status);
    }
}
