using Backend.Security;

namespace Backend.Tests.Server;

/// <summary>The hardening issue's findings, each replayed against the real server: bodies that are not valid Unicode,
/// oversize patterns, signatures that expire too far ahead, body checksums, and protocol-level limits answered in
/// the JSON error shape. Bad input is a 4xx in the documented shape and costs the log nothing.</summary>
public sealed class HardeningTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Json = "application/json";

    public static TheoryData<string, byte[]> BadUnicodeBodies => new()
    {
        { "lone high surrogate escape", "{\"x\":\"\\ud800\"}"u8.ToArray() },
        { "lone low surrogate escape", "{\"x\":\"a\\udc00b\"}"u8.ToArray() },
        { "surrogate in a property name", "{\"\\ud83d\":1}"u8.ToArray() },
        { "surrogate in a nested array", "{\"x\":[1,{\"y\":[\"\\udfff\"]}]}"u8.ToArray() },
        { "raw 0xff byte in a string", [.. "{\"x\":\""u8, 0xff, .. "\"}"u8] },
        { "overlong UTF-8", [.. "{\"x\":\""u8, 0xc0, 0xaf, .. "\"}"u8] },
        { "truncated UTF-8 sequence", [.. "{\"x\":\""u8, 0xe2, 0x82, .. "\"}"u8] },
        { "UTF-8 encoded surrogate", [.. "{\"x\":\""u8, 0xed, 0xa0, 0x80, .. "\"}"u8] },
        { "0xff outside a string", [.. "{\"x\":1"u8, 0xff, .. "}"u8] },
    };

    [Theory]
    [MemberData(nameof(BadUnicodeBodies))]
    public async Task Json_body_that_is_not_valid_Unicode_is_400_signed_or_not(string what, byte[] body)
    {
        var a = await fixture.AddAccount(("alias", "Before"));
        using var signed = fixture.Client(a);
        using var anonymous = fixture.Client();
        foreach (var path in new[] { "/account/get", "/account/update", "/account/add", "/location/get", "/data/select/bk_account", "/nowhere" })
        {
            ApiAssert.Error(await anonymous.Send(HttpMethod.Post, path, "", body, Json, null), 400);
            ApiAssert.Error(await signed.Send(HttpMethod.Post, path, "", body, Json, null), 400);
        }
        var after = await signed.Get("/account/get");
        Assert.Equal("Before", after.Str("alias"));
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task Valid_surrogate_pairs_and_escapes_still_work()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostJson("/account/update", "{\"alias\":\"smile \\ud83d\\ude00 \u00e9\"}"));
        Assert.Equal("smile \U0001F600 \u00e9", (await client.Get("/account/get")).Str("alias"));
    }

    [Theory]
    [InlineData("/account/select", "alias")]
    [InlineData("/message/get", "msg")]
    [InlineData("/message/get/sent", "msg")]
    [InlineData("/connection/select", "type")]
    [InlineData("/reference/select", "type")]
    public async Task Like_pattern_over_the_bound_is_400_and_at_the_bound_works(string path, string column)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        foreach (var op in new[] { "like", "begins_with", "contains" })
        {
            var tooLong = await client.Get(path, (column, new string('x', Backend.Data.Db.MaxPatternLength + 1)), ("_ops", $"{column},{op}"));
            // 400 from the facade's bound, or earlier from the endpoint's own bound on the column (connection types).
            ApiAssert.Error(tooLong, 400);
        }
        // The probe's 50,001-byte pattern.
        ApiAssert.Error(await client.Get(path, (column, new string('x', 50_001)), ("_ops", $"{column},like")), 400);
        // Connection types have their own bound of 64 characters.
        var longest = column == "type" ? 64 : Backend.Data.Db.MaxPatternLength;
        // (contains: every driver has it; DynamoDB has no like)
        ApiAssert.Ok(await client.Get(path, (column, new string('x', longest)), ("_ops", $"{column},contains")));
    }

    [Fact]
    public async Task Data_select_with_an_oversize_like_or_in_list_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("alias", new string('x', 50_001)), ("_ops", "alias,like")), 403);
        using var admin = fixture.Client(await AdminServerFixture.MakeAdmin(fixture.Server.Home));
        ApiAssert.Error(await admin.Get("/data/select/bk_account", ("alias", new string('x', 50_001)), ("_ops", "alias,like")), 400);
        var ids = string.Join(',', Enumerable.Range(0, Backend.Data.Db.MaxInValues + 1).Select(i => "id" + i));
        ApiAssert.Error(await admin.PostForm("/data/select/bk_account", ("id", ids), ("_ops", "id,in")), 400);
    }

    [Fact]
    public async Task Signature_expiring_beyond_the_default_bound_is_406()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        const long day = 86_400_000;
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { Expires = now + 6 * day }));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = now + 8 * day }), 406);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = long.MaxValue }), 406);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = long.MaxValue, In = SignatureIn.Query }), 406);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = 4102444800000, Version = 3 }), 406);
    }

    [Fact]
    public async Task Json_checksum_is_optional_by_default_but_checked_when_present()
    {
        var a = await fixture.AddAccount(("alias", "Before"));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostJson("/account/update", "{\"alias\":\"NoChecksum\"}", new SignOptions { Checksum = "" }));
        var other = RequestSignature.BodyChecksum("{\"alias\":\"Signed\"}"u8);
        ApiAssert.Error(await client.PostJson("/account/update", "{\"alias\":\"Swapped\"}", new SignOptions { Checksum = other }), 400);
        Assert.Equal("NoChecksum", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task Multipart_checksum_is_checked_when_present()
    {
        var a = await fixture.AddAccount(("alias", "Before"));
        using var client = fixture.Client(a);
        var (body, type) = Multipart(("alias", "Multi"));
        var (swapped, _) = Multipart(("alias", "Swapped"));
        ApiAssert.Error(await client.Send(HttpMethod.Post, "/account/update", "", swapped, type, new SignOptions { Checksum = RequestSignature.BodyChecksum(body) }), 400);
        Assert.Equal("Before", (await client.Get("/account/get")).Str("alias"));
        ApiAssert.Ok(await client.Send(HttpMethod.Post, "/account/update", "", body, type, new SignOptions { Checksum = RequestSignature.BodyChecksum(body) }));
        Assert.Equal("Multi", (await client.Get("/account/get")).Str("alias"));
        // The original's clients sign no multipart body: still accepted by default.
        ApiAssert.Ok(await client.Send(HttpMethod.Post, "/account/update", "", swapped, type, new SignOptions()));
    }

    [Fact]
    public async Task Url_and_headers_over_the_documented_limits_are_answered_in_json()
    {
        using var client = fixture.Client(await fixture.AddAccount());
        ApiAssert.Error(await client.GetRaw("/account/get", "x=" + new string('a', RequestLimits.MaxUrl + 10)), 414);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Url("/account/get"));
        request.Headers.TryAddWithoutValidation("X-Big", new string('b', RequestLimits.MaxHeaders + 10));
        ApiAssert.Error(await client.SendRaw(request), 431);
        // Beyond twice the limits Kestrel answers by itself, with an empty body (docs/api.md says so).
        var kestrel = await client.GetRaw("/account/get", "x=" + new string('a', 2 * RequestLimits.MaxUrl + 10));
        Assert.Equal(414, kestrel.Status);
    }

    [Fact]
    public async Task Bad_requests_cost_the_log_nothing()
    {
        var a = await fixture.AddAccount();
        using var signed = fixture.Client(a);
        using var anonymous = fixture.Client();
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var before = fixture.Server.Output.Length;
        const int rounds = 40;
        for (var i = 0; i < rounds; i++)
        {
            await anonymous.Send(HttpMethod.Post, "/account/get", "", "{\"x\":\"\\ud800\"}"u8.ToArray(), Json, null);
            await anonymous.Send(HttpMethod.Post, "/account/get", "", [.. "{\"x\":\""u8, 0xff, .. "\"}"u8], Json, null);
            await anonymous.Send(HttpMethod.Post, "/account/get", "", "{\"x\":"u8.ToArray(), Json, null);
            await anonymous.Send(HttpMethod.Post, "/account/get", "", "--x\r\nbroken"u8.ToArray(), "multipart/form-data; boundary=x", null);
            await signed.Get("/account/select", ("alias", new string('x', 50_001)), ("_ops", "alias,like"));
            await signed.Get("/account/get", new SignOptions { Expires = long.MaxValue });
            await signed.Get("/account/get", new SignOptions { Secret = "wrong" });
            await signed.Get("/location/get", ("latitude", "NaN"), ("longitude", "1"));
            await signed.GetRaw("/account/get", "x=" + new string('a', RequestLimits.MaxUrl + 10));
            await anonymous.Get("/no/such/path");
        }
        await Task.Delay(200, TestContext.Current.CancellationToken);
        var bytes = fixture.Server.Output.Length - before;
        var perRequest = bytes / (rounds * 10.0);
        Assert.True(perRequest < 1, $"{perRequest:F1} bytes of log per bad request:\n{fixture.Server.Output[before..]}");
    }

    private static (byte[] Body, string ContentType) Multipart(params (string Name, string Value)[] fields)
    {
        using var content = new MultipartFormDataContent("----hardening-boundary");
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        var bytes = content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        return (bytes, content.Headers.ContentType!.ToString());
    }

    /// <summary>The documented limits (Backend.Http.RequestLimits), as a client sees them.</summary>
    private static class RequestLimits
    {
        public const int MaxUrl = Backend.Http.RequestLimits.MaxUrlLength;
        public const int MaxHeaders = Backend.Http.RequestLimits.MaxHeadersSize;
    }
}

/// <summary>A server started with <c>-api-require-checksum -api-signature-max-age 600000</c>.</summary>
public sealed class StrictSignatureFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-require-checksum", "-api-signature-max-age", "600000"];
}

/// <summary>The strict settings: every JSON and multipart body must carry its checksum, and signatures expire within
/// ten minutes.</summary>
public sealed class StrictSignatureTests(StrictSignatureFixture fixture) : IClassFixture<StrictSignatureFixture>
{
    [Fact]
    public async Task Json_and_multipart_bodies_need_their_checksum()
    {
        var a = await fixture.AddAccount(("alias", "Before"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostJson("/account/update", "{\"alias\":\"NoChecksum\"}", new SignOptions { Checksum = "" }), 400);
        using var content = new MultipartFormDataContent("----strict-boundary") { { new StringContent("Multi"), "alias" } };
        var body = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var type = content.Headers.ContentType!.ToString();
        ApiAssert.Error(await client.Send(HttpMethod.Post, "/account/update", "", body, type, new SignOptions()), 400);
        Assert.Equal("Before", (await client.Get("/account/get")).Str("alias"));

        ApiAssert.Ok(await client.PostJson("/account/update", "{\"alias\":\"Json\"}"));
        Assert.Equal("Json", (await client.Get("/account/get")).Str("alias"));
        ApiAssert.Ok(await client.Send(HttpMethod.Post, "/account/update", "", body, type, new SignOptions { Checksum = RequestSignature.BodyChecksum(body) }));
        Assert.Equal("Multi", (await client.Get("/account/get")).Str("alias"));
        // A form body is the signed text itself: no checksum needed.
        ApiAssert.Ok(await client.PostForm("/account/update", ("alias", "Form")));
        Assert.Equal("Form", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task Signature_max_age_is_configurable_and_sessions_are_not_bound_by_it()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a, cookies: true);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { Expires = now + 540_000 }));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = now + 660_000 }), 406);
        // A session (30 days by default) still works: its signature is the server's own.
        ApiAssert.Ok(await client.Get("/account/get", ("_session", "1")));
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { In = SignatureIn.None }));
    }
}
