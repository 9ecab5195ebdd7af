using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>Bad input on every endpoint: garbage signatures, wrong option types, oversized values and bodies, SQL
/// metacharacters in values and column names, unknown paths and methods. Never a 500, never a stack trace (the
/// client checks both on every reply), always the JSON error shape, nothing written, and the tables keep working.</summary>
public sealed class BadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Sql = "'; drop table bk_account; --";

    public static TheoryData<string> SignedEndpoints => new()
    {
        "/account/get", "/account/select", "/account/update", "/account/del", "/account/put/secret",
    };

    public static TheoryData<string> AllEndpoints => new()
    {
        "/account/get", "/account/select", "/account/update", "/account/del", "/account/put/secret", "/account/add",
    };

    public static TheoryData<string, string, int> GarbageSignatures()
    {
        var data = new TheoryData<string, string, int>();
        // Within -api-signature-max-age (7 days), so the checks after the expiry's are reached.
        var soon = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 86_400_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var garbage = new (string Value, int Status)[]
        {
            ("|||||||", 400), ("1||LOGIN|c2ln|soon||", 400), ("1||LOGIN|c2ln|12e5||", 400), (new string('Z', 10 * 1024), 400),
            ("\u00ff\u00fe", 400), ("1|| |c2ln|" + soon + "||", 400), ("1||LOGIN|c2ln|" + soon + "||" + new string('|', 100), 400),
            ("1||LOGIN|" + new string('A', 10 * 1024) + "|" + soon + "||", 401), ("1||LOGIN|c2ln|4102444800000||", 406),
        };
        foreach (var endpoint in new[] { "/account/get", "/account/select", "/account/update", "/account/del", "/account/put/secret" })
            foreach (var (value, status) in garbage) data.Add(endpoint, value, status);
        return data;
    }

    private async Task AssertAccountIntact(TestAccount a, string name)
    {
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Equal(name, r.Str("name"));
    }

    private async Task AssertTablesWork()
    {
        var a = await fixture.AddAccount(("name", "Still works"));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/account/get"));
        var r = await client.Get("/account/select", ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Single(r.Data);
    }

    [Theory]
    [MemberData(nameof(GarbageSignatures))]
    public async Task Signed_endpoints_with_a_garbage_signature_are_4xx_and_change_nothing(string endpoint, string garbage, int status)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(a);
        var raw = garbage.Replace("LOGIN", a.Login, StringComparison.Ordinal);
        var q = BackendClient.Encode(("name", "changed"), ("secret", "changed"));
        // latin-1 characters cannot travel in a header; send those through the query only
        if (raw.All(c => c < 0x80))
        {
            ApiAssert.Error(await client.GetRaw(endpoint, q, new SignOptions { Raw = raw }), status);
        }
        if (raw.Length < 4000)
        {
            ApiAssert.Error(await client.GetRaw(endpoint, q, new SignOptions { Raw = raw, In = SignatureIn.Query }), status);
        }
        await AssertAccountIntact(a, "Intact");
    }

    [Theory]
    [MemberData(nameof(SignedEndpoints))]
    public async Task Signed_endpoints_unsigned_are_400_and_change_nothing(string endpoint)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get(endpoint, ("id", a.Id), ("name", "changed")), 400);
        ApiAssert.Error(await client.PostForm(endpoint, ("id", a.Id), ("name", "changed")), 400);
        ApiAssert.Error(await client.PostJson(endpoint, new JsonObject { ["id"] = a.Id, ["name"] = "changed" }), 400);
        await AssertAccountIntact(a, "Intact");
    }

    [Theory]
    [InlineData("_count", "abc")]
    [InlineData("_count", "-1")]
    [InlineData("_desc", "maybe")]
    [InlineData("_sort", "nosuch")]
    [InlineData("_sort", "alias; drop table bk_account")]
    [InlineData("_ops", "alias,near")]
    [InlineData("_ops", "alias")]
    [InlineData("_ops", "alias,like,id")]
    public async Task Select_with_wrong_option_types_is_400(string name, string value)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", (name, value)), 400);
        ApiAssert.Error(await client.PostForm("/account/select", (name, value)), 400);
        ApiAssert.Error(await client.PostJson("/account/select", new JsonObject { [name] = value }), 400);
    }

    [Theory]
    [InlineData("_count", "1.5")]
    [InlineData("_count", "1e3")]
    [InlineData("_count", "99999999999")]
    [InlineData("_count", "1001")]
    [InlineData("_count", " 5")]
    [InlineData("_desc", "2")]
    [InlineData("_desc", "")]
    [InlineData("_start", "")]
    public async Task Select_with_odd_option_values_is_answered_not_a_500(string name, string value)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", (name, value));
        Assert.True(r.Status is 200 or 400, r.ToString());
        if (r.Status == 200) Assert.True(r.Data.Count <= 1000);
        else ApiAssert.Error(r, 400);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("%%%")]
    [InlineData("W10")] // []
    [InlineData("WyJhIiwiYiIsImMiXQ")] // ["a","b","c"]
    [InlineData("e30")] // {}
    [InlineData("bnVsbA")] // null
    [InlineData("Ww")] // [
    [InlineData("////")]
    public async Task Select_with_a_malformed_start_token_is_400(string token)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", ("_start", token)), 400);
        ApiAssert.Error(await client.Get("/account/select", ("_start", token), ("_sort", "alias")), 400);
    }

    [Fact]
    public async Task Select_with_between_and_one_value_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", ("alias", "a"), ("_ops", "alias,between")), 400);
    }

    [Fact]
    public async Task Get_with_a_wrong_session_flag_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", ("_session", "perhaps")), 400);
    }

    [Fact]
    public async Task Get_with_too_many_ids_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var ids = string.Join(',', Enumerable.Range(0, 1001).Select(i => "id" + i));
        ApiAssert.Error(await client.PostForm("/account/get", ("id", ids)), 400);
    }

    [Fact]
    public async Task Get_with_a_huge_id_is_not_a_500()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostForm("/account/get", ("id", new string('x', 100 * 1024)));
        Assert.True(r.Status is 200 or 400, r.ToString());
        if (r.Status == 200) Assert.Empty(r.Array);
        else ApiAssert.Error(r, 400);
    }

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task A_two_megabyte_form_body_is_a_413_in_JSON(string endpoint)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(endpoint == "/account/add" ? null : a);
        client.ExpectContinue = true;
        var body = "name=" + new string('x', 2 * 1024 * 1024) + "&login=" + Uri.EscapeDataString(Accounts.UniqueLogin()) + "&secret=s";
        ApiAssert.Error(await client.PostFormRaw(endpoint, body), 413);
        await AssertAccountIntact(a, "Intact");
    }

    [Theory]
    [InlineData("/account/update")]
    [InlineData("/account/add")]
    public async Task A_two_megabyte_JSON_body_is_a_413_in_JSON(string endpoint)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(endpoint == "/account/add" ? null : a);
        client.ExpectContinue = true;
        var body = new JsonObject { ["login"] = Accounts.UniqueLogin(), ["secret"] = "s", ["name"] = new string('x', 2 * 1024 * 1024) };
        ApiAssert.Error(await client.PostJson(endpoint, body), 413);
        await AssertAccountIntact(a, "Intact");
    }

    [Fact]
    public async Task Add_with_a_hundred_kilobyte_name_is_400_and_writes_nothing()
    {
        var login = Accounts.UniqueLogin();
        using var client = fixture.Client();
        ApiAssert.Error(await client.PostForm("/account/add", ("login", login), ("secret", "s"), ("name", new string('n', 100 * 1024))), 400);
        using var signed = fixture.Client(new TestAccount(login, "s", ""));
        ApiAssert.Error(await signed.Get("/account/get"), 404);
        ApiAssert.Ok(await client.PostForm("/account/add", ("login", login), ("secret", "s"), ("name", "short")));
    }

    [Theory]
    [InlineData("name")]
    [InlineData("alias")]
    [InlineData("email")]
    [InlineData("status")]
    public async Task Update_with_a_hundred_kilobyte_value_is_400_and_changes_nothing(string column)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostForm("/account/update", (column, new string('v', 100 * 1024)), ("city", "changed")), 400);
        await AssertAccountIntact(a, "Intact");
        Assert.Null((await client.Get("/account/get")).Object["city"]);
    }

    [Fact]
    public async Task Add_with_a_hundred_kilobyte_login_or_secret_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.PostForm("/account/add", ("login", new string('l', 100 * 1024)), ("secret", "s"), ("name", "n")), 400);
        ApiAssert.Error(await client.PostForm("/account/add", ("login", Accounts.UniqueLogin()), ("secret", new string('s', 100 * 1024)), ("name", "n")), 400);
    }

    [Fact]
    public async Task Put_secret_with_a_hundred_kilobyte_secret_is_400_and_keeps_the_old_one()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostForm("/account/put/secret", ("secret", new string('s', 100 * 1024))), 400);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task SQL_metacharacters_in_values_are_stored_verbatim()
    {
        var weird = new[] { Sql, "Robert\"); DROP TABLE bk_auth;--", "a' OR '1'='1", "\\\"; --", "%_*?[]", "nul\0byte", "emoji \U0001F600 ünïcödé" };
        foreach (var value in weird)
        {
            if (value.Contains('\0') && BackendServer.Pool == "pgsql")
            {
                // PostgreSQL text cannot hold NUL: a clear 400, nothing written (docs/db.md).
                var refused = await fixture.Server.Client().Get("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", value));
                ApiAssert.Error(refused, 400);
                continue;
            }
            var login = Accounts.UniqueLogin() + value;
            var a = await fixture.AddAccount(("login", login), ("name", value), ("alias", value + Guid.NewGuid().ToString("N")), ("email", value));
            using var client = fixture.Client(a);
            // HTTP headers carry ASCII only: logins with other characters sign in the query
            client.Defaults = new SignOptions { In = login.All(c => c is >= ' ' and < '\u007f') ? SignatureIn.Header : SignatureIn.Query };
            var get = await client.Get("/account/get");
            ApiAssert.Ok(get);
            Assert.Equal(value, get.Str("name"));
            Assert.Equal(value, get.Str("email"));
            Assert.Equal(login, get.Str("login"));
            var alias = a.Added!["alias"]!.ToString();
            var sel = await client.Get("/account/select", ("alias", alias));
            ApiAssert.Ok(sel);
            Assert.Equal(a.Id, Assert.Single(sel.Data)!["id"]?.ToString());
            var upd = await client.PostForm("/account/update", ("city", value));
            ApiAssert.Ok(upd);
            Assert.Equal(value, upd.Str("city"));
        }
        await AssertTablesWork();
    }

    [Fact]
    public async Task SQL_metacharacters_in_the_signature_login_are_404()
    {
        using var client = fixture.Client(new TestAccount(Sql, "s", ""));
        ApiAssert.Error(await client.Get("/account/get"), 404);
        using var client2 = fixture.Client(new TestAccount("x' OR '1'='1", "s", ""));
        ApiAssert.Error(await client2.Get("/account/get"), 404);
        await AssertTablesWork();
    }

    [Theory]
    [InlineData("name\"")]
    [InlineData("\"name\"")]
    [InlineData("name\" = 'x' OR \"1\"=\"1")]
    [InlineData(Sql)]
    [InlineData("nosuchcolumn")]
    [InlineData("bk_auth.secret")]
    [InlineData("secret")]
    [InlineData("id\" OR 1=1 --")]
    public async Task SQL_metacharacters_in_column_names_are_ignored_never_executed(string column)
    {
        var a = await fixture.AddAccount(("name", "Intact"), ("alias", "col" + Guid.NewGuid().ToString("N")));
        var b = await fixture.AddAccount(("name", "Other"));
        using var client = fixture.Client(a);

        var upd = await client.PostForm("/account/update", (column, "x"));
        Assert.True(upd.Status is 200 or 400, upd.ToString());
        await AssertAccountIntact(a, "Intact");
        await AssertAccountIntact(b, "Other");

        // an unknown column is no condition: the reply is the same as without it
        var plain = await client.Get("/account/select", ("id", $"{a.Id},{b.Id}"), ("_ops", "id,in"));
        var withColumn = await client.Get("/account/select", ("id", $"{a.Id},{b.Id}"), ("_ops", "id,in"), (column, "x"));
        Assert.True(withColumn.Status is 200 or 400 or 403, withColumn.ToString());
        if (withColumn.Status == 200) Assert.Equal(plain.Data.Count, withColumn.Data.Count);

        foreach (var r in new[]
        {
            await client.Get("/account/select", ("_select", column)),
            await client.Get("/account/select", ("_select", "id," + column)),
            await client.Get("/account/select", ("alias", "x"), ("_ops", column + ",eq")),
            await client.Get("/account/select", ("_sort", column)),
            await client.PostJson("/account/select", new JsonObject { [column] = "x" }),
            await client.PostJson("/account/update", new JsonObject { [column] = "x" }),
            await client.Get("/account/get", (column, "x")),
            await client.PostForm("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", "n"), (column, "x")),
        })
        {
            Assert.True(r.Status is 200 or 400 or 403, r.ToString());
            if (r.Status != 200) ApiAssert.Error(r, r.Status);
        }
        await AssertAccountIntact(a, "Intact");
        await AssertAccountIntact(b, "Other");
        await AssertTablesWork();
    }

    [Fact]
    public async Task Selecting_an_unknown_column_returns_no_unknown_properties()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("id", a.Id), ("_select", "id,nosuch,secret"));
        ApiAssert.Ok(r);
        Assert.Equal(["id"], Accounts.Keys(Assert.Single(r.Data)));
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/account")]
    [InlineData("/account/nope")]
    [InlineData("/account/get/extra")]
    [InlineData("/account/put")]
    [InlineData("/account/put/icon/x/y")]
    public async Task An_unknown_path_with_a_valid_signature_is_a_404_in_JSON(string path)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw(path, ""), 404);
        ApiAssert.Error(await client.PostFormRaw(path, "a=1"), 404);
    }

    [Fact]
    public async Task An_unknown_path_unsigned_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.GetRaw("/nope", ""), 400);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    [InlineData("PROPFIND")]
    public async Task Other_methods_with_a_valid_signature_are_a_405_in_JSON(string method)
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(a);
        foreach (var path in new[] { "/account/get", "/account/del", "/account/update", "/account/add" })
        {
            var r = await client.Send(new HttpMethod(method), path, "name=changed", null, null, null);
            ApiAssert.Error(r, 405);
        }
        await AssertAccountIntact(a, "Intact");
    }

    [Fact]
    public async Task HEAD_with_a_valid_signature_is_405()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Send(HttpMethod.Head, "/account/get", "", null, null, null);
        Assert.Equal(405, r.Status);
    }

    [Fact]
    public async Task A_deeply_nested_JSON_body_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var deep = new string('[', 500) + new string(']', 500);
        ApiAssert.Error(await client.PostJson("/account/update", "{\"alias\":" + deep + "}"), 400);
    }

    [Fact]
    public async Task Non_object_values_in_a_JSON_body_are_not_a_500()
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(a);
        foreach (var body in new[] { "[]", "[1,2,3]", "\"text\"", "42", "null", "true", "{\"name\":{\"nested\":1}}", "{\"name\":[1,[2]]}", "{\"name\":1e400}" })
        {
            var r = await client.PostJson("/account/update", body);
            Assert.True(r.Status is 200 or 400, $"{body}: {r}");
            if (r.Status != 200) ApiAssert.Error(r, 400);
        }
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task Invalid_UTF_8_and_bad_escapes_in_a_form_body_are_not_a_500()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        foreach (var body in new[] { "alias=%zz", "alias=%", "alias=%C3%28", "=&=&&=x", "alias", "%00=%00", "alias=a%2", "a=1&a=2&a=3" })
        {
            var r = await client.PostFormRaw("/account/update", body);
            Assert.True(r.Status is 200 or 400, $"{body}: {r}");
        }
        var raw = new byte[] { (byte)'a', (byte)'l', (byte)'i', (byte)'a', (byte)'s', (byte)'=', 0xff, 0xfe, 0xc3 };
        using var request = new HttpRequestMessage(HttpMethod.Post, client.Url("/account/update"));
        request.Content = new ByteArrayContent(raw);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(BackendClient.FormType);
        var sig = client.Sign(HttpMethod.Post, request.RequestUri!, raw, BackendClient.FormType, new SignOptions())!;
        request.Headers.TryAddWithoutValidation("bk-signature", sig);
        var resp = await client.SendRaw(request);
        Assert.True(resp.Status is 200 or 400 or 401, resp.ToString());
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task Bad_escapes_in_the_query_are_not_a_500()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        foreach (var q in new[] { "id=%zz", "id=%", "%=%", "id=%C3%28", "&&&", "=", "id==" })
        {
            var r = await client.GetRaw("/account/get", q);
            Assert.True(r.Status is 200 or 400, $"{q}: {r}");
        }
    }

    [Fact]
    public async Task A_very_long_URL_is_refused_without_a_500()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.GetRaw("/account/get", "id=" + new string('x', 40 * 1024));
        Assert.True(r.Status is 400 or 414 or 431, r.ToString());
    }

    [Fact]
    public async Task A_multipart_body_with_many_fields_is_a_client_error()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        using var content = new MultipartFormDataContent();
        for (var i = 0; i < 1100; i++) content.Add(new StringContent("v"), "f" + i);
        var r = await SendMultipart(client, content);
        Assert.True(r.Status is 400 or 413, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task A_multipart_body_with_a_long_field_name_is_a_client_error()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        using var content = new MultipartFormDataContent { { new StringContent("v"), new string('k', 3000) } };
        var r = await SendMultipart(client, content);
        Assert.True(r.Status is 200 or 400 or 413, r.ToString());
        if (r.Status != 200) ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task A_malformed_multipart_body_is_a_client_error()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var body = Encoding.UTF8.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"alias\"\r\n\r\nunterminated");
        var r = await client.Send(HttpMethod.Post, "/account/update", "", body, "multipart/form-data; boundary=xyz", null);
        Assert.True(r.Status is 400 or 413, r.ToString());
        ApiAssert.Error(r, r.Status);
        var noBoundary = await client.Send(HttpMethod.Post, "/account/update", "", body, "multipart/form-data", null);
        Assert.True(noBoundary.Status is 400 or 413, noBoundary.ToString());
        ApiAssert.Error(noBoundary, noBoundary.Status);
    }

    [Fact]
    public async Task A_two_megabyte_multipart_body_is_413()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        client.ExpectContinue = true;
        using var content = new MultipartFormDataContent { { new StringContent(new string('x', 2 * 1024 * 1024)), "alias" } };
        var r = await SendMultipart(client, content);
        ApiAssert.Error(r, 413);
    }

    [Fact]
    public async Task A_body_of_an_unknown_content_type_is_ignored_not_a_500()
    {
        var a = await fixture.AddAccount(("name", "Intact"));
        using var client = fixture.Client(a);
        var r = await client.Send(HttpMethod.Post, "/account/update", "", Encoding.UTF8.GetBytes("name=changed"), "text/plain", null);
        Assert.True(r.Status is 200 or 400 or 415, r.ToString());
        await AssertAccountIntact(a, "Intact");
    }

    private static async Task<ApiResponse> SendMultipart(BackendClient client, MultipartFormDataContent content)
    {
        var bytes = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var type = content.Headers.ContentType!.ToString();
        return await client.Send(HttpMethod.Post, "/account/update", "", bytes, type, null);
    }
}
