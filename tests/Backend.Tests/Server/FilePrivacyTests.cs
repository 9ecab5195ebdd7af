using System.Text;
using System.Text.Json.Nodes;
using static Backend.Tests.Server.FileTestSupport;

namespace Backend.Tests.Server;

/// <summary>The privacy sweep of the files API, beyond FileApiTests' admin-only check: no parameter or body form makes a
/// non-admin a writer (nor does trying to make oneself an admin), the refusal is the same for a file that exists and one
/// that does not, no reply names the server's folders, and the files API cannot reach the images store (icons).</summary>
public sealed class FilePrivacyTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task No_parameter_or_body_makes_a_non_admin_a_writer()
    {
        using var admin = fixture.Client(fixture.Admin);
        var prefix = NewPrefix();
        var bytes = Bytes(500);
        ApiAssert.Ok(await PutRaw(admin, bytes, "application/octet-stream", ("prefix", prefix), ("name", "f.bin")));
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        // Trying to become an admin is refused or ignored (the account module's business), and changes nothing here.
        var update = await client.Get("/account/update", ("type", "admin"));
        Assert.True(update.Status < 500, update.ToString());

        (string, string)[][] claims =
        [
            [],
            [("type", "admin")],
            [("_admin", "1")],
            [("admin", "1")],
            [("id", fixture.Admin.Id)],
            [("login", fixture.Admin.Login)],
            [("_unsecure", "file")],
            [("api-unsecure", "file")],
        ];
        var refusals = new List<string>();
        foreach (var claim in claims)
        {
            var what = string.Join("&", claim.Select(c => c.Item1 + "=" + c.Item2));
            (string, string)[] existing = [("prefix", prefix), ("name", "f.bin"), .. claim];
            (string, string)[] missing = [("prefix", prefix), ("name", "new.bin"), .. claim];
            var json = new JsonObject { ["prefix"] = prefix, ["name"] = "f.bin", ["data"] = "YWJj" };
            foreach (var (k, v) in claim) json[k] = v;
            var replies = new[]
            {
                await client.Get("/file/put", [.. existing, ("data", "YWJj")]),
                await client.Get("/file/put", [.. missing, ("data", "YWJj")]),
                await client.PostForm("/file/put", [.. existing, ("data", "YWJj")]),
                await client.PostJson("/file/put", json),
                await PutRaw(client, Bytes(10), "application/octet-stream", existing),
                await PutMultipart(client, Bytes(10), "file", "f.bin", existing),
                await client.Get("/file/del", existing),
                await client.Get("/file/del", missing),
                await client.PostJson("/file/del", new JsonObject { ["prefix"] = prefix, ["name"] = "f.bin" }),
            };
            foreach (var r in replies)
            {
                ApiAssert.Error(r, 403);
                refusals.Add(r.Body);
            }
            Assert.True(replies.All(r => r.Body == replies[0].Body), $"{what}: refusals differ: {string.Join(" | ", replies.Select(r => r.Body))}");
        }
        Assert.Single(refusals.Distinct(StringComparer.Ordinal));
        Assert.Equal(bytes, (await Fetch(client, prefix, "f.bin")).Body);
        Assert.Equal([$"{prefix}/f.bin"], StoredFiles(fixture.Server).Where(f => f.StartsWith(prefix + "/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Replies_name_no_server_folder_and_the_files_api_cannot_reach_icons()
    {
        using var admin = fixture.Client(fixture.Admin);
        var user = await fixture.AddAccount();
        using var client = fixture.Client(user);
        var prefix = NewPrefix();
        var home = fixture.Server.Home;
        var replies = new List<(string What, string Body)>
        {
            ("put", (await PutRaw(admin, Bytes(20), "application/octet-stream", ("prefix", prefix), ("name", "a.txt"))).Body),
            ("get missing", (await client.Get("/file/get", ("prefix", prefix), ("name", "missing.txt"))).Body),
            ("get bad", (await client.Get("/file/get", ("prefix", prefix), ("name", "../x"))).Body),
            ("del missing", (await admin.Get("/file/del", ("prefix", prefix), ("name", "missing.txt"))).Body),
            ("put bad base64", (await admin.Get("/file/put", ("prefix", prefix), ("name", "b.txt"), ("data", "!!!"))).Body),
            ("get", Encoding.UTF8.GetString((await Fetch(client, prefix, "a.txt")).Body)),
        };
        foreach (var (what, body) in replies)
        {
            Assert.False(body.Contains(home, StringComparison.Ordinal), $"{what} named the server's home: {body}");
            Assert.False(body.Contains("/files/", StringComparison.Ordinal), $"{what} named the files folder: {body}");
        }

        // An icon lives in the images store: the files API, even an admin's, neither sees nor deletes it.
        ApiAssert.Ok(await client.PostForm("/account/put/icon", ("icon", Convert.ToBase64String(Images.TestImages.Photo(8, 8)))));
        var iconFiles = MessageTestSupport.ImageFiles(fixture.Server);
        var iconFile = Assert.Single(iconFiles, f => f.Replace('\\', '/').Contains("/icons/account/", StringComparison.Ordinal));
        var name = Path.GetFileName(iconFile);
        foreach (var p in new[] { "icons", "images", "account" })
        {
            Assert.Equal(404, (await Fetch(admin, p, name)).Status);
            ApiAssert.Error(await admin.Get("/file/del", ("prefix", p), ("name", name)), 404);
        }
        Assert.True(File.Exists(iconFile));
        Assert.Equal(200, (await MessageTestSupport.GetBytes(client, "/account/get/icon?type=0")).Status);
        Assert.DoesNotContain(StoredFiles(fixture.Server), f => f.EndsWith("/" + name, StringComparison.Ordinal));
    }
}
