using System.Text.Json.Nodes;
using static Backend.Tests.Server.FileTestSupport;

namespace Backend.Tests.Server;

/// <summary>Path tricks and oversized uploads on the files API: each a 400 (or 413) in the JSON shape, and the files
/// directory stays empty (this class has a server of its own, on which no test writes a file).</summary>
public sealed class FileBadInputTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    /// <summary>Raw query strings (sent as they are) whose prefix or name must be refused.</summary>
    public static TheoryData<string> BadQueries => new()
    {
        "prefix=p&name=..%2Fx",
        "prefix=p&name=%2e%2e%2fx",
        "prefix=p&name=%2e%2e",
        "prefix=p&name=..",
        "prefix=p&name=.",
        "prefix=p&name=a%2Fb",
        "prefix=p&name=%2Fetc%2Fpasswd",
        "prefix=p&name=a%5Cb",
        "prefix=p&name=..%5Cx",
        "prefix=p&name=a%00b",
        "prefix=p&name=a%0Ab",
        "prefix=p&name=a%E2%80%AEtxt.exe",
        "prefix=p&name=C%3A%5Cx",
        "prefix=p&name=.hidden",
        "prefix=p&name=a..b",
        "prefix=p&name=" + new string('a', 256),
        "prefix=..&name=a",
        "prefix=.&name=a",
        "prefix=%2e%2e&name=a",
        "prefix=a%2Fb&name=a",
        "prefix=%2Ftmp&name=a",
        "prefix=a%5Cb&name=a",
        "prefix=a%00&name=a",
        "prefix=caf%C3%A9&name=a",
        "prefix=" + new string('p', 65) + "&name=a",
        "prefix=p&name=a&_ext=..%2Fx",
        "prefix=p&name=a&_ext=p%2Fq",
        "prefix=p&name=a&_ext=" + new string('e', 17),
        "prefix=p&name=a&_ext=t%00",
        "prefix=p&name=" + new string('a', 250) + ".txt&_tm=1",
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Path_tricks_are_400_and_write_nothing(string query)
    {
        using var admin = fixture.Client(fixture.Admin);
        var put = await admin.GetRaw("/file/put", query + "&data=YWJj");
        ApiAssert.Error(put, 400);
        Assert.Equal(400, put.Object["status"]!.GetValue<int>());
        ApiAssert.Error(await admin.Send(HttpMethod.Post, "/file/put", query, "abc"u8.ToArray(), "application/octet-stream", null), 400);
        if (!query.Contains("_ext", StringComparison.Ordinal) && !query.Contains("_tm", StringComparison.Ordinal))
        {
            ApiAssert.Error(await admin.GetRaw("/file/get", query), 400);
            ApiAssert.Error(await admin.GetRaw("/file/del", query), 400);
        }
        Assert.Empty(StoredFiles(fixture.Server));
        Assert.False(File.Exists(Path.Combine(fixture.Server.Home, "x")));
    }

    [Fact]
    public async Task Path_tricks_in_json_and_multipart_bodies_are_400_too()
    {
        using var admin = fixture.Client(fixture.Admin);
        foreach (var (prefix, name) in new[] { ("p", "../x"), ("..", "x"), ("p", "/abs"), ("p", "a\\b"), ("p", "a\0b"), ("/", "x") })
        {
            ApiAssert.Error(await admin.PostJson("/file/put", new JsonObject { ["prefix"] = prefix, ["name"] = name, ["data"] = "YWJj" }), 400);
            ApiAssert.Error(await PutMultipart(admin, Bytes(10), "file", "f.bin", ("prefix", prefix), ("name", name)), 400);
        }
        Assert.Empty(StoredFiles(fixture.Server));
    }

    [Fact]
    public async Task Uploads_over_the_upload_limit_are_413_and_write_nothing()
    {
        using var admin = fixture.Client(fixture.Admin);
        // Refused up front: without 100-continue the refusal would race with the upload.
        admin.ExpectContinue = true;
        var big = Bytes(1024 * 1024 + 1);
        ApiAssert.Error(await PutRaw(admin, big, "application/octet-stream", ("prefix", "big"), ("name", "raw.bin")), 413);
        ApiAssert.Error(await PutMultipart(admin, big, "file", "f.bin", ("prefix", "big"), ("name", "mp.bin")), 413);
        ApiAssert.Error(await admin.PostJson("/file/put", new JsonObject { ["prefix"] = "big", ["name"] = "j.bin", ["data"] = Convert.ToBase64String(Bytes(800_000)) }), 413);
        Assert.Empty(StoredFiles(fixture.Server));
    }
}
