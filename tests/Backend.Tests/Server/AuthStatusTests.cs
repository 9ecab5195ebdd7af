namespace Backend.Tests.Server;

/// <summary>The signature checks of signature.md, in the contract's order: no or malformed signature 400,
/// expired 406, unknown login 404, bad HMAC 401; the account-level checks (412, acl 403) are in
/// <see cref="AccountRestrictionTests"/>, path rules in <see cref="AccessRulesTests"/>.</summary>
public sealed class AuthStatusTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static long Past => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;

    [Fact]
    public async Task Auth_with_a_valid_signature_is_200_with_the_own_account()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        Assert.Equal(a.Login, r.Str("login"));
    }

    [Fact]
    public async Task A_percent_encoded_path_is_signed_as_sent()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        // The client signs the path as sent (still encoded), as the original client and server did; routing decodes it.
        var r = await client.Get("/account/g%65t");
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        // A reserved character stays encoded: the signature checks, then there is no such endpoint.
        ApiAssert.Error(await client.Get("/account/get%3Bx"), 404);
        // A client that signs the decoded path is accepted on the second try.
        ApiAssert.Error(await client.Get("/account/get%3Bx", new SignOptions { SignedPath = "/account/get;x" }), 404);
        ApiAssert.Error(await client.Get("/account/get%3Bx", new SignOptions { SignedPath = "/account/get;y" }), 401);
    }

    [Fact]
    public async Task Auth_without_a_signature_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/account/get"), 400, "Invalid request: no login provided");
    }

    [Fact]
    public async Task Auth_with_an_empty_signature_header_is_400()
    {
        using var client = fixture.Client(await fixture.AddAccount());
        ApiAssert.Error(await client.GetRaw("/account/get", "", new SignOptions { Raw = "" }), 400);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("|||||||")]
    [InlineData("||||||")]
    [InlineData("1|")]
    [InlineData("1||LOGIN|c2ln|notanumber||")]
    [InlineData("1||LOGIN|c2ln|-5||")]
    [InlineData("1||LOGIN|c2ln|0||")]
    [InlineData("1||LOGIN|c2ln|4102444800000")]
    [InlineData("1||LOGIN|c2ln|4102444800000|||")]
    [InlineData("1||LOGIN||4102444800000||")]
    [InlineData("1|||c2ln|4102444800000||")]
    [InlineData("x||LOGIN|c2ln|4102444800000||")]
    [InlineData("||LOGIN|c2ln|4102444800000||")]
    [InlineData("1.5||LOGIN|c2ln|4102444800000||")]
    [InlineData("1||LOGIN|c2ln|41024448000001234567890123||")]
    public async Task Auth_with_a_malformed_signature_header_is_400(string raw)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var value = raw.Replace("LOGIN", a.Login, StringComparison.Ordinal);
        ApiAssert.Error(await client.GetRaw("/account/get", "", new SignOptions { Raw = value }), 400);
        ApiAssert.Error(await client.GetRaw("/account/get", "", new SignOptions { Raw = value, In = SignatureIn.Query }), 400);
    }

    [Fact]
    public async Task Auth_with_a_huge_signature_header_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw("/account/get", "", new SignOptions { Raw = new string('A', 10 * 1024) }), 400);
        var tenKbLogin = $"1||{new string('x', 10 * 1024)}|c2ln|{Soon}||";
        // no such login can exist: "no account" (404) or "malformed" (400) are both fair
        var r = await client.GetRaw("/account/get", "", new SignOptions { Raw = tenKbLogin });
        Assert.True(r.Status is 400 or 404, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task Auth_with_a_signature_of_random_bytes_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var random = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            // Any bytes through the query parameter; printable ASCII through the header (Kestrel refuses others).
            var printable = new string([.. bytes.Select(b => (char)(0x21 + (b % 94)))]);
            var inQuery = await client.GetRaw("/account/get", "bk-signature=" + string.Concat(bytes.Select(b => $"%{b:X2}")), new SignOptions { In = SignatureIn.None });
            Assert.True(inQuery.Status is 400, $"query {i}: {inQuery}");
            ApiAssert.Error(inQuery, 400);
            var inHeader = await client.GetRaw("/account/get", "", new SignOptions { Raw = printable });
            Assert.True(inHeader.Status is 400 or 404, $"header {i}: {inHeader}");
            ApiAssert.Error(inHeader, inHeader.Status);
        }
    }

    [Theory]
    [InlineData(1, SignatureIn.Header)]
    [InlineData(3, SignatureIn.Header)]
    [InlineData(1, SignatureIn.Query)]
    [InlineData(3, SignatureIn.Query)]
    public async Task Auth_with_an_expired_signature_is_406(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = version, In = where, Expires = Past }), 406, "Expired request");
    }

    [Fact]
    public async Task Auth_with_a_signature_expiring_now_is_406()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }), 406);
    }

    [Fact]
    public async Task Auth_expiring_within_the_bound_is_200_and_beyond_it_406()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        // -api-signature-max-age: 7 days by default.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { Expires = now + 6L * 86_400_000 }));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = 4102444800000 }), 406);
    }

    /// <summary>An expiry an hour from now (within -api-signature-max-age).</summary>
    private static long Soon => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Auth_with_an_unknown_login_is_404(int version)
    {
        using var client = fixture.Client(new TestAccount(Accounts.UniqueLogin("nobody"), "secret", "none"));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = version }), 404, "No account record found");
    }

    [Fact]
    public async Task Auth_expired_with_an_unknown_login_is_406_before_the_lookup()
    {
        using var client = fixture.Client(new TestAccount(Accounts.UniqueLogin("nobody"), "secret", "none"));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = Past }), 406);
    }

    [Fact]
    public async Task Auth_expired_with_a_wrong_secret_is_406_before_the_HMAC()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = Past, Secret = "wrong" }), 406);
    }

    [Theory]
    [InlineData(1, SignatureIn.Header)]
    [InlineData(3, SignatureIn.Header)]
    [InlineData(1, SignatureIn.Query)]
    [InlineData(3, SignatureIn.Query)]
    public async Task Auth_with_a_wrong_secret_is_401(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = version, In = where, Secret = a.Secret + "x" }), 401, "Not authenticated");
    }

    [Fact]
    public async Task Auth_with_the_signature_of_another_account_is_401()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Secret = b.Secret }), 401);
    }

    [Fact]
    public async Task Auth_with_a_tampered_query_is_401()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw("/account/get", "id=" + a.Id + "x", new SignOptions { SignedQuery = "id=" + a.Id }), 401);
        ApiAssert.Error(await client.GetRaw("/account/get", "id=" + a.Id + "&_session=1", new SignOptions { SignedQuery = "id=" + a.Id }), 401);
    }

    [Fact]
    public async Task Auth_signed_for_another_path_is_401()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw("/account/del", "", new SignOptions { SignedPath = "/account/get" }), 401);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task Auth_signed_for_another_method_is_401()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw("/account/get", "", new SignOptions { SignedMethod = "POST" }), 401);
    }

    [Fact]
    public async Task Auth_with_an_unknown_signature_version_is_refused()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var sig = $"4||{a.Login}|c2lnbmF0dXJl|{Soon}||";
        var r = await client.GetRaw("/account/get", "", new SignOptions { Raw = sig });
        Assert.True(r.Status is 400 or 401, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Theory]
    [InlineData(SignatureIn.Header)]
    [InlineData(SignatureIn.Query)]
    public async Task Auth_with_a_version_2_signature_outside_a_session_is_400(SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = 2, In = where }), 400);
    }

    [Fact]
    public async Task Auth_with_a_version_2_signature_and_a_wrong_secret_is_400_not_leaking_validity()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = 2, Secret = "wrong" }), 400);
    }

    [Fact]
    public async Task A_signature_for_the_host_with_its_port_is_accepted_as_a_second_try()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { KeepPort = true }));
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { KeepPort = true, Version = 3, In = SignatureIn.Query }));
    }

    [Fact]
    public async Task A_signature_keyed_with_the_Latin_1_secret_is_accepted_as_a_second_try()
    {
        var a = await fixture.AddAccount(("secret", "p\u00e4ssw\u00f6rd-" + Guid.NewGuid().ToString("N")));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/account/get"));
        ApiAssert.Ok(await client.Get("/account/get", new SignOptions { Latin1Key = true }));
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Secret = "passwort" }), 401);
    }

    [Fact]
    public async Task An_unsigned_ping_is_400_by_default()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/ping"), 400);
    }

    [Fact]
    public async Task A_signed_ping_is_200()
    {
        using var client = fixture.Client(await fixture.AddAccount());
        Assert.Equal(200, (await client.Get("/ping")).Status);
    }

    [Fact]
    public async Task Account_add_unsigned_is_open_by_default()
    {
        using var client = fixture.Client();
        var r = await client.Get("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", "Open"));
        ApiAssert.Ok(r);
    }

    [Fact]
    public async Task Account_add_with_a_bad_signature_still_registers_anonymously()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var login = Accounts.UniqueLogin();
        var r = await client.Get("/account/add", new SignOptions { Secret = "wrong" }, ("login", login), ("secret", "s"), ("name", "Open"));
        ApiAssert.Ok(r);
        using var created = fixture.Client(new TestAccount(login, "s", r.Str("id")!));
        ApiAssert.Ok(await created.Get("/account/get"));
    }
}
