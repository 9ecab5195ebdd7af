using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>A server with an admin and <c>-api-allow-path ^/image/account/</c>: account icons by plain URL also without
/// a signature (then only <c>acl_allow</c> <c>all</c> ones).</summary>
public sealed class IconServerFixture : AdminServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-allow-path", "^/image/account/"];
}

/// <summary>The privacy sweep over the icon endpoints: every read path (<c>/account/get/icon</c>,
/// <c>/image/account/ID/TYPE</c> signed and unsigned, <c>/icon/get</c>, <c>/account/select/icon</c>,
/// <c>/icon/select</c>) follows <c>acl_allow</c> for another account and for an unsigned client, a hidden icon answers
/// exactly what a never-uploaded one does, <c>acl_allow</c> reaches its owner only, the store path (<c>icon</c>) reaches
/// nobody and is written by nobody but the server, puts and deletes act on the caller's own icons only, and a deleted
/// account's icons are gone for everyone.</summary>
public sealed class IconPrivacyTests(IconServerFixture fixture) : IClassFixture<IconServerFixture>
{
    private static readonly HttpClient Raw = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>An answer as sent: status, content type and the exact body.</summary>
    private sealed record Reply(int Status, string? ContentType, string? CacheControl, string? ETag, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);

        public override string ToString() => $"{Status} {ContentType} {(Body.Length > 300 ? Body.Length + " bytes" : Text)}";
    }

    /// <summary>GET of a path and raw query, signed as the client's account (unsigned when it has none).</summary>
    private static async Task<Reply> Fetch(BackendClient client, string path, string query, params (string Name, string Value)[] headers)
    {
        var uri = client.Url(path, query);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (client.Sign(HttpMethod.Get, uri, null, null, new SignOptions()) is { } signature)
            Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", signature));
        foreach (var (name, value) in headers) Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        using var response = await Raw.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode < 500, $"{uri} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? string.Join(", ", v) : null;
        return new Reply((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, Header("Cache-Control"), Header("ETag"), body);
    }

    private static string Q(params (string Name, string Value)[] pairs) => BackendClient.Encode(pairs);

    private static string Jpeg(int width, int height) => Convert.ToBase64String(Images.TestImages.Photo(width, height));

    /// <summary>The images store folder name of an account (see IconNames.Path): where its icon files are.</summary>
    private static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];

    private string[] IconFilesOf(string id) =>
        [.. MessageTestSupport.ImageFiles(fixture.Server).Where(f => f.Replace('\\', '/').Contains("/" + Hash(id) + "/", StringComparison.Ordinal))];

    /// <summary>No reply may carry the store path column or the server's folders.</summary>
    private void AssertNoStorePath(string what, string body)
    {
        Assert.False(body.Contains(fixture.Server.Home, StringComparison.Ordinal), $"{what} leaked the server's home: {body}");
        Assert.False(body.Contains("icons/", StringComparison.Ordinal), $"{what} leaked a store path: {body}");
        if (body.StartsWith('{') || body.StartsWith('['))
            Assert.False(ApiResponse.HasProperty(JsonNode.Parse(body), "icon"), $"{what} sent the icon column: {body}");
    }

    public static TheoryData<string> Acls => new() { "", "list", "auth", "all", "list-viewer" };

    [Theory]
    [MemberData(nameof(Acls))]
    public async Task Every_read_path_follows_the_acl_and_a_hidden_icon_answers_as_a_missing_one(string acl)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var owner = fixture.Client(a);
        using var other = fixture.Client(b);
        using var anonymous = fixture.Client();
        // "list" names a third account and strings that merely contain B's id; "list-viewer" names B among others.
        var aclValue = acl switch
        {
            "list" => $"{c.Id},{b.Id}x,x{b.Id},{b.Id[..^1]}",
            "list-viewer" => $"{c.Id},{b.Id}",
            _ => acl,
        };
        var otherSees = acl is "auth" or "all" or "list-viewer";
        var anonymousSees = acl == "all";

        var put = await owner.PostForm("/account/put/icon", ("type", "5"), ("icon", Jpeg(24, 16)), ("acl_allow", aclValue));
        ApiAssert.Ok(put);
        Assert.Equal(aclValue, put.Str("acl_allow"));
        AssertNoStorePath("account/put/icon", put.Body);
        var put2 = await owner.PostForm("/icon/put", ("prefix", "priv"), ("type", "album:p1"), ("icon", Jpeg(16, 24)), ("acl_allow", aclValue), ("descr", "d"));
        ApiAssert.Ok(put2);
        Assert.Equal(aclValue, put2.Str("acl_allow"));
        AssertNoStorePath("icon/put", put2.Body);

        // Each byte read path: the icon, a type never uploaded, and an account that never uploaded anything.
        var missing = Guid.NewGuid().ToString("N");
        var reads = new (string What, string Path, string Icon, string Never, string Nobody)[]
        {
            ("account/get/icon", "/account/get/icon", Q(("id", a.Id), ("type", "5")), Q(("id", a.Id), ("type", "6")), Q(("id", missing), ("type", "5"))),
            ("image/account", "", $"/image/account/{a.Id}/5", $"/image/account/{a.Id}/6", $"/image/account/{missing}/5"),
            ("icon/get", "/icon/get", Q(("prefix", "priv"), ("type", "album:p1"), ("id", a.Id)), Q(("prefix", "priv"), ("type", "album:p2"), ("id", a.Id)), Q(("prefix", "priv"), ("type", "album:p1"), ("id", missing))),
        };
        Task<Reply> Read(BackendClient client, string path, string queryOrPath, params (string, string)[] headers) =>
            path.Length == 0 ? Fetch(client, queryOrPath, "", headers) : Fetch(client, path, queryOrPath, headers);

        foreach (var (what, path, icon, never, nobody) in reads)
        {
            var mine = await Read(owner, path, icon);
            Assert.True(mine.Status == 200 && mine.ContentType == "image/jpeg", $"owner {what}: {mine}");
            foreach (var (who, client, sees) in new[] { ("other", other, otherSees), ("unsigned", anonymous, anonymousSees && path.Length == 0) })
            {
                var got = await Read(client, path, icon);
                var neverGot = await Read(client, path, never);
                var nobodyGot = await Read(client, path, nobody);
                // Unsigned on a signed path: the access gate's refusal (400/401) for every icon alike.
                var gated = client == anonymous && path.Length > 0;
                Assert.True(gated ? neverGot.Status is 400 or 401 : neverGot.Status == 404, $"{who} {what} never uploaded: {neverGot}");
                if (sees)
                {
                    Assert.True(got.Status == 200, $"{who} {what} acl '{acl}': {got}");
                    Assert.Equal(mine.Body, got.Body);
                    Assert.NotNull(got.ETag);
                    // Directives in any order (HttpClient re-formats the header).
                    Assert.Equal(acl == "all" ? ["max-age=3600", "public"] : ["no-cache", "private"],
                        got.CacheControl!.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
                }
                else
                {
                    // 404 as if there were no icon: the same status, body and headers as a never-uploaded icon's.
                    Assert.True(gated ? got.Status is 400 or 401 : got.Status == 404, $"{who} {what} acl '{acl}': {got}");
                    Assert.Equal((neverGot.Status, neverGot.ContentType, neverGot.CacheControl, neverGot.ETag, neverGot.Text), (got.Status, got.ContentType, got.CacheControl, got.ETag, got.Text));
                    Assert.Equal((nobodyGot.Status, nobodyGot.ContentType, nobodyGot.CacheControl, nobodyGot.ETag, nobodyGot.Text), (got.Status, got.ContentType, got.CacheControl, got.ETag, got.Text));
                    Assert.Null(got.ETag);
                    // A conditional GET is no way around the ACL: still the refusal, never a 304.
                    var conditional = await Read(client, path, icon, ("If-None-Match", "*"), ("If-Modified-Since", DateTimeOffset.UtcNow.AddDays(1).ToString("R")));
                    Assert.Equal((got.Status, got.Text), (conditional.Status, conditional.Text));
                }
                foreach (var r in new[] { got, neverGot, nobodyGot }) AssertNoStorePath($"{who} {what}", r.Text);
            }
        }

        // Selects: the icon is listed to whoever may see it, acl_allow to its owner only.
        var selects = new (string What, string Path, (string, string)[] Query)[]
        {
            ("account/select/icon", "/account/select/icon", [("id", a.Id)]),
            ("icon/select", "/icon/select", [("id", a.Id), ("prefix", "priv")]),
            ("icon/select type", "/icon/select", [("id", a.Id), ("prefix", "priv"), ("type", "album:")]),
            ("icon/select prefix=account", "/icon/select", [("id", a.Id), ("prefix", "account")]),
        };
        foreach (var (what, path, query) in selects)
        {
            var own = await owner.Get(path, query);
            ApiAssert.Ok(own);
            var row = Assert.Single(own.Array)!.AsObject();
            Assert.Equal(aclValue, row["acl_allow"]?.GetValue<string>());
            AssertNoStorePath($"owner {what}", own.Body);

            var seen = await other.Get(path, query);
            ApiAssert.Ok(seen);
            Assert.Equal(otherSees ? 1 : 0, seen.Array.Count);
            Assert.False(ApiResponse.HasProperty(seen.Json, "acl_allow"), $"other {what} sent acl_allow: {seen}");
            Assert.False(aclValue.Length > 0 && seen.Body.Contains(aclValue, StringComparison.Ordinal), $"other {what} leaked the acl: {seen}");
            if (acl is "list" or "list-viewer") Assert.DoesNotContain(c.Id, seen.Body, StringComparison.Ordinal);
            AssertNoStorePath($"other {what}", seen.Body);

            var unsigned = await anonymous.Get(path, query);
            Assert.True(unsigned.Status is 400 or 401, $"unsigned {what}: {unsigned}");
            Assert.DoesNotContain(a.Id, unsigned.Body, StringComparison.Ordinal);
        }
        // The data API is no way around it either: bk_icon is the admin's.
        ApiAssert.Error(await other.Get("/data/get/bk_icon", ("id", a.Id), ("type", "account:5")), 403);
        ApiAssert.Error(await other.Get("/data/select/bk_icon", ("id", a.Id)), 403);
    }

    /// <summary>Keys are exact on every pool: a prefix that starts another prefix, <c>_</c> (a LIKE wildcard), and
    /// types differing only in case are separate icons, each with its own ACL.</summary>
    [Fact]
    public async Task Prefixes_and_types_are_exact_so_one_icons_acl_never_covers_another()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var icons = new (string Prefix, string Type, string Acl)[]
        {
            ("ab", "t", ""), ("a", "b:t", "all"), ("a_b", "t", ""), ("acb", "t", "all"), ("case", "X", ""), ("case", "x", "all"), ("case", "x_1", "all"), ("case", "xy1", ""),
        };
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < icons.Length; i++)
        {
            var (prefix, type, acl) = icons[i];
            ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", prefix), ("type", type), ("icon", Jpeg(8 + i, 8)), ("acl_allow", acl)));
            bytes[$"{prefix}:{type}"] = (await Fetch(ca, "/icon/get", Q(("prefix", prefix), ("type", type)))).Body;
        }
        Assert.Equal(icons.Length, bytes.Values.Select(Convert.ToBase64String).Distinct(StringComparer.Ordinal).Count());
        foreach (var (prefix, type, acl) in icons)
        {
            var got = await Fetch(cb, "/icon/get", Q(("prefix", prefix), ("type", type), ("id", a.Id)));
            if (acl == "all") Assert.Equal(bytes[$"{prefix}:{type}"], got.Body);
            else Assert.Equal(404, got.Status);
        }
        async Task<string[]> Listed(BackendClient client, string prefix, string? type = null)
        {
            var r = await client.Get("/icon/select", [("id", a.Id), ("prefix", prefix), .. type is null ? Array.Empty<(string, string)>() : [("type", type)]]);
            ApiAssert.Ok(r);
            return [.. r.Array.Select(x => x!["prefix"]!.GetValue<string>() + ":" + x["type"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
        }
        Assert.Equal(["a:b:t"], await Listed(ca, "a"));
        Assert.Equal(["ab:t"], await Listed(ca, "ab"));
        Assert.Equal(["a_b:t"], await Listed(ca, "a_b"));
        Assert.Equal(["case:X"], await Listed(ca, "case", "X"));
        Assert.Equal(["case:x", "case:x_1", "case:xy1"], await Listed(ca, "case", "x"));
        Assert.Equal(["case:x_1"], await Listed(ca, "case", "x_"));
        Assert.Equal(["a:b:t"], await Listed(cb, "a"));
        Assert.Empty(await Listed(cb, "ab"));
        Assert.Empty(await Listed(cb, "a_b"));
        Assert.Empty(await Listed(cb, "case", "X"));
        Assert.Equal(["case:x", "case:x_1"], await Listed(cb, "case", "x"));
    }

    [Fact]
    public async Task Making_an_icon_private_again_hides_it_at_once_also_from_a_conditional_get()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var anonymous = fixture.Client();
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "7"), ("icon", Jpeg(20, 20)), ("acl_allow", "all")));
        var shared = await Fetch(cb, $"/image/account/{a.Id}/7", "");
        Assert.Equal(200, shared.Status);
        Assert.NotNull(shared.ETag);
        Assert.Equal(200, (await Fetch(anonymous, $"/image/account/{a.Id}/7", "")).Status);

        // Only the acl changes (a new upload of an icon keeps it unless given; here it is given as "").
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "7"), ("icon", Jpeg(20, 20)), ("acl_allow", "")));
        var never = await Fetch(cb, $"/image/account/{a.Id}/8", "");
        foreach (var client in new[] { cb, anonymous })
        {
            var plain = await Fetch(client, $"/image/account/{a.Id}/7", "");
            var conditional = await Fetch(client, $"/image/account/{a.Id}/7", "", ("If-None-Match", shared.ETag!));
            foreach (var r in new[] { plain, conditional }) Assert.Equal((never.Status, never.Text, never.ETag), (r.Status, r.Text, r.ETag));
        }
        Assert.Empty((await cb.Get("/account/select/icon", ("id", a.Id))).Array);
        // Another upload without acl_allow keeps it private.
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", "7"), ("icon", Jpeg(22, 20))));
        Assert.Equal(404, (await Fetch(cb, $"/image/account/{a.Id}/7", "")).Status);
        Assert.Equal("", Assert.Single((await ca.Get("/account/select/icon")).Array)!["acl_allow"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_store_path_is_the_servers_whatever_a_client_sends()
    {
        var a = await fixture.AddAccount();
        var victim = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cv = fixture.Client(victim);
        using var admin = fixture.Client(fixture.Admin);
        ApiAssert.Ok(await cv.PostForm("/account/put/icon", ("icon", Jpeg(30, 20)), ("acl_allow", "all")));
        var victimBytes = (await Fetch(cv, "/account/get/icon", "type=0")).Body;
        var victimRow = (await admin.Get("/data/get/bk_icon", ("id", victim.Id), ("type", "account:0"))).Object;
        var victimPath = victimRow["icon"]!.GetValue<string>();

        // The parameter icon is the image: a path in it is not base64 of an image (400), and nothing is stored.
        foreach (var path in new[] { "../../etc/passwd", "/etc/passwd", victimPath, "icons/../../../x", "C:\\Windows\\win.ini" })
        {
            ApiAssert.Error(await ca.PostForm("/account/put/icon", ("icon", path)), 400);
            ApiAssert.Error(await ca.PostForm("/icon/put", ("prefix", "p"), ("type", "t"), ("icon", path)), 400);
            ApiAssert.Error(await ca.PostJson("/icon/put", new JsonObject { ["prefix"] = "p", ["icon"] = path }), 400);
        }
        Assert.Empty((await ca.Get("/account/select/icon")).Array);
        Assert.Empty((await ca.Get("/icon/select", ("prefix", "p"))).Array);
        Assert.Empty(IconFilesOf(a.Id));

        // A real image with every column of the row given as a parameter too: the server's values win.
        var overrides = new (string, string)[]
        {
            ("id", victim.Id), ("prefix", "../../x"), ("ext", "../../passwd"), ("width", "9999"), ("height", "9999"),
            ("mtime", "1"), ("path", victimPath), ("file", victimPath), ("_icon", victimPath), ("icon_path", victimPath),
        };
        var put = await ca.PostForm("/account/put/icon", [("icon", Jpeg(20, 10)), .. overrides]);
        ApiAssert.Ok(put);
        var put2 = await ca.PostForm("/icon/put", [("icon", Jpeg(10, 20)), ("type", "t"), .. overrides.Where(o => o.Item1 != "prefix"), ("prefix", "p")]);
        ApiAssert.Ok(put2);
        // A raw image body with the path in the query: the query's icon is the image, not a path (400).
        var raw = await ca.Send(HttpMethod.Post, "/account/put/icon", Q(("type", "1"), ("icon", victimPath)), Images.TestImages.Photo(8, 8), "image/jpeg", null);
        ApiAssert.Error(raw, 400);
        foreach (var (what, reply, width, height) in new[] { ("account/put/icon", put, 20, 10), ("icon/put", put2, 10, 20) })
        {
            Assert.Equal(a.Id, reply.Str("id"));
            Assert.Equal("jpg", reply.Str("ext"));
            Assert.Equal(width, reply.Object["width"]!.GetValue<int>());
            Assert.Equal(height, reply.Object["height"]!.GetValue<int>());
            Assert.True(reply.Object["mtime"]!.GetValue<long>() > 1_700_000_000_000, $"{what}: {reply}");
            AssertNoStorePath(what, reply.Body);
        }
        foreach (var (type, expect) in new[] { ("account:0", "icons/account/"), ("p:t", "icons/p/") })
        {
            var row = (await admin.Get("/data/get/bk_icon", ("id", a.Id), ("type", type))).Object;
            var stored = row["icon"]!.GetValue<string>();
            Assert.StartsWith(expect + Hash(a.Id)[..2] + "/" + Hash(a.Id) + "/", stored, StringComparison.Ordinal);
            Assert.DoesNotContain("..", stored, StringComparison.Ordinal);
        }
        var own = await Fetch(ca, "/account/get/icon", "type=0");
        Assert.Equal(200, own.Status);
        Assert.NotEqual(victimBytes, own.Body);
        // The victim's icon, row and file are untouched.
        Assert.Equal(victimBytes, (await Fetch(cv, "/account/get/icon", "type=0")).Body);
        Assert.Equal(victimPath, (await admin.Get("/data/get/bk_icon", ("id", victim.Id), ("type", "account:0"))).Object["icon"]!.GetValue<string>());

        // The data API, where the column could be named, is admin-only.
        ApiAssert.Error(await ca.Get("/data/put/bk_icon", ("id", a.Id), ("type", "account:0"), ("icon", victimPath)), 403);
        ApiAssert.Error(await ca.Get("/data/update/bk_icon", ("id", a.Id), ("type", "account:0"), ("icon", "../../etc/passwd")), 403);
        Assert.Equal(own.Body, (await Fetch(ca, "/account/get/icon", "type=0")).Body);
    }

    [Fact]
    public async Task Put_and_del_act_on_the_callers_own_icons_whatever_id_is_given()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("icon", Jpeg(12, 12)), ("acl_allow", "all")));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "shared"), ("type", "x"), ("icon", Jpeg(14, 14)), ("acl_allow", "all"), ("descr", "mine")));
        var accountIcon = (await Fetch(ca, "/account/get/icon", "type=0")).Body;
        var prefixIcon = (await Fetch(ca, "/icon/get", "prefix=shared&type=x")).Body;
        var before = (await ca.Get("/icon/select", ("prefix", "shared"))).Body;

        // Deletes: B has no such icon, so 404, whichever way the id comes.
        ApiAssert.Error(await cb.Get("/account/del/icon", ("id", a.Id), ("type", "0")), 404);
        ApiAssert.Error(await cb.PostJson("/account/del/icon", new JsonObject { ["id"] = a.Id, ["type"] = "0" }), 404);
        ApiAssert.Error(await cb.Get("/icon/del", ("id", a.Id), ("prefix", "shared"), ("type", "x")), 404);
        ApiAssert.Error(await cb.PostForm("/icon/del", ("id", a.Id), ("prefix", "shared"), ("type", "x")), 404);
        ApiAssert.Error(await cb.PostJson("/icon/del", new JsonObject { ["id"] = a.Id, ["prefix"] = "shared", ["type"] = "x" }), 404);

        // Puts: stored as B's own.
        var put = await cb.PostForm("/account/put/icon", ("id", a.Id), ("icon", Jpeg(40, 10)), ("acl_allow", ""));
        ApiAssert.Ok(put);
        Assert.Equal(b.Id, put.Str("id"));
        var put2 = await cb.PostJson("/icon/put", new JsonObject { ["id"] = a.Id, ["prefix"] = "shared", ["type"] = "x", ["icon"] = Jpeg(10, 40), ["descr"] = "overwritten" });
        ApiAssert.Ok(put2);
        Assert.Equal(b.Id, put2.Str("id"));

        Assert.Equal(accountIcon, (await Fetch(ca, "/account/get/icon", "type=0")).Body);
        Assert.Equal(accountIcon, (await Fetch(cb, $"/image/account/{a.Id}/0", "")).Body);
        Assert.Equal(prefixIcon, (await Fetch(cb, "/icon/get", Q(("prefix", "shared"), ("type", "x"), ("id", a.Id)))).Body);
        Assert.Equal(before, (await ca.Get("/icon/select", ("prefix", "shared"))).Body);
        Assert.NotEqual(accountIcon, (await Fetch(cb, "/account/get/icon", "type=0")).Body);
        Assert.Equal("overwritten", Assert.Single((await cb.Get("/icon/select", ("prefix", "shared"))).Array)!["descr"]!.GetValue<string>());

        // And B deleting its own leaves A's alone.
        ApiAssert.Ok(await cb.Get("/account/del/icon", ("id", a.Id)));
        ApiAssert.Ok(await cb.Get("/icon/del", ("id", a.Id), ("prefix", "shared"), ("type", "x")));
        Assert.Equal(accountIcon, (await Fetch(ca, "/account/get/icon", "type=0")).Body);
        Assert.Equal(prefixIcon, (await Fetch(ca, "/icon/get", "prefix=shared&type=x")).Body);
        Assert.Empty(IconFilesOf(b.Id));
        Assert.Equal(2, IconFilesOf(a.Id).Length);
    }

    [Fact]
    public async Task A_deleted_accounts_icons_are_404_to_everyone()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var anonymous = fixture.Client();
        using var admin = fixture.Client(fixture.Admin);
        foreach (var (type, acl) in new[] { ("0", "all"), ("1", "auth"), ("2", b.Id), ("3", "") })
            ApiAssert.Ok(await ca.PostForm("/account/put/icon", ("type", type), ("icon", Jpeg(10, 10)), ("acl_allow", acl)));
        ApiAssert.Ok(await ca.PostForm("/icon/put", ("prefix", "gone"), ("type", "a:1"), ("icon", Jpeg(10, 10)), ("acl_allow", "all")));
        Assert.Equal(200, (await Fetch(anonymous, $"/image/account/{a.Id}/0", "")).Status);
        Assert.Equal(200, (await Fetch(cb, $"/image/account/{a.Id}/2", "")).Status);
        Assert.Equal(5, IconFilesOf(a.Id).Length);

        ApiAssert.Ok(await ca.Get("/account/del"));

        var never = await Fetch(cb, $"/image/account/{Guid.NewGuid():N}/0", "");
        Assert.Equal(404, never.Status);
        foreach (var type in new[] { "0", "1", "2", "3" })
        {
            foreach (var client in new[] { cb, admin })
            {
                var got = await Fetch(client, $"/image/account/{a.Id}/{type}", "");
                Assert.Equal((never.Status, never.Text), (got.Status, got.Text));
                Assert.Equal(404, (await Fetch(client, "/account/get/icon", Q(("id", a.Id), ("type", type)))).Status);
            }
            var unsigned = await Fetch(anonymous, $"/image/account/{a.Id}/{type}", "");
            Assert.Equal((never.Status, never.Text), (unsigned.Status, unsigned.Text));
        }
        Assert.Equal(404, (await Fetch(cb, "/icon/get", Q(("prefix", "gone"), ("type", "a:1"), ("id", a.Id)))).Status);
        Assert.Empty((await cb.Get("/account/select/icon", ("id", a.Id))).Array);
        Assert.Empty((await cb.Get("/icon/select", ("id", a.Id), ("prefix", "gone"))).Array);
        Assert.Empty((await admin.Get("/data/select/bk_icon", ("id", a.Id))).Data);
        Assert.Empty(IconFilesOf(a.Id));
    }
}
