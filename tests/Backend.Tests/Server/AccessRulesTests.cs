namespace Backend.Tests.Server;

/// <summary>A server started with path rules: <c>-api-deny-path ^/account/del$</c>, <c>-api-allow-path ^/ping$</c>
/// and <c>-api-allow-admin ^/account/select$</c>, with an admin account.</summary>
public sealed class AccessRulesFixture : AdminServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments =>
        ["-api-deny-path", "^/account/del$", "-api-allow-path", "^/ping$", "-api-allow-admin", "^/account/select$"];
}

/// <summary>Path rules (signature.md): deny rules answer 403 before anything else, allow-listed paths need no
/// signature, admin-only paths refuse normal accounts.</summary>
public sealed class AccessRulesTests(AccessRulesFixture fixture) : IClassFixture<AccessRulesFixture>
{
    [Fact]
    public async Task A_denied_path_with_a_valid_signature_is_403_and_deletes_nothing()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/del"), 403, "Access denied");
        ApiAssert.Error(await client.PostForm("/account/del"), 403, "Access denied");
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task A_denied_path_unsigned_is_403_before_the_signature_check()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/account/del"), 403, "Access denied");
    }

    [Fact]
    public async Task A_denied_path_with_an_admin_signature_is_403()
    {
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Error(await client.Get("/account/del"), 403);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Theory]
    [InlineData("//account/del")]
    [InlineData("/account/de%6C")]
    [InlineData("/account/del%2F")]
    [InlineData("/account/del.json")]
    public async Task Other_spellings_of_a_denied_path_never_delete(string path)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.GetRaw(path, "");
        Assert.True(r.Status is 403 or 404, $"{path}: {r}");
        ApiAssert.Error(r, r.Status);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    // Routing matches paths case-insensitively and with a trailing slash; the deny rule does not.
    [Theory]
    [InlineData("/account/del/")]
    [InlineData("/ACCOUNT/DEL")]
    [InlineData("/Account/Del")]
    public async Task Case_or_trailing_slash_variants_of_a_denied_path_are_403(string path)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw(path, ""), 403);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task An_allowed_ping_unsigned_is_200()
    {
        using var client = fixture.Client();
        Assert.Equal(200, (await client.Get("/ping")).Status);
    }

    [Fact]
    public async Task An_allowed_ping_with_a_bad_signature_is_200()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        Assert.Equal(200, (await client.Get("/ping", new SignOptions { Secret = "wrong" })).Status);
        Assert.Equal(200, (await client.Get("/ping", new SignOptions { Raw = "|||||||" })).Status);
    }

    [Fact]
    public async Task An_allowed_path_opens_only_that_path_and_others_still_need_a_signature()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/account/get"), 400);
        ApiAssert.Error(await client.Get("/pingx"), 400);
        ApiAssert.Error(await client.Get("/x/ping"), 400);
    }

    [Fact]
    public async Task An_admin_path_is_403_for_a_normal_account()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select"), 403);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task An_admin_path_unsigned_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/account/select"), 400);
    }

    [Fact]
    public async Task An_admin_path_is_200_for_an_admin()
    {
        using var client = fixture.Client(fixture.Admin);
        var r = await client.Get("/account/select");
        ApiAssert.Ok(r);
        Assert.NotNull(r.Data);
    }

    [Theory]
    [InlineData("/account/select/")]
    [InlineData("/ACCOUNT/SELECT")]
    [InlineData("/Account/Select")]
    public async Task Case_or_trailing_slash_variants_of_an_admin_path_are_403_for_a_normal_account(string path)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw(path, ""), 403);
    }

    [Fact]
    public async Task Disallowing_account_add_makes_registration_need_a_signature()
    {
        await using var server = await BackendServer.StartAsync(["-api-disallow-path", "^/account/add$"]);
        using var client = server.Client();
        ApiAssert.Error(await client.Get("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", "n")), 400);
    }

    [Fact]
    public async Task Replacing_the_allow_list_drops_the_default_list_so_account_add_needs_a_signature()
    {
        await using var server = await BackendServer.StartAsync(["-api-allow", "^/ping$"]);
        using var client = server.Client();
        Assert.Equal(200, (await client.Get("/ping")).Status);
        ApiAssert.Error(await client.Get("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", "n")), 400);
    }
}
