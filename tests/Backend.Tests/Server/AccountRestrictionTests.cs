using System.Globalization;

namespace Backend.Tests.Server;

/// <summary>Per-account checks of signature.md, set by an admin at <c>/account/add</c>: the account's
/// <c>expires</c> (412), <c>acl_deny</c> (403) and <c>acl_allow</c> (403), each before the HMAC check.</summary>
public sealed class AccountRestrictionTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static string Ms(TimeSpan fromNow) =>
        (DateTimeOffset.UtcNow + fromNow).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private Task<TestAccount> AddByAdmin(params (string Name, string Value)[] extra) => Accounts.Add(fixture.Server, fixture.Admin, extra);

    [Fact]
    public async Task An_expired_account_is_412()
    {
        var a = await AddByAdmin(("expires", Ms(TimeSpan.FromHours(-1))));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get"), 412, "This account has expired");
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Version = 3, In = SignatureIn.Query }), 412);
    }

    [Fact]
    public async Task An_account_expiring_in_the_future_is_200()
    {
        var a = await AddByAdmin(("expires", Ms(TimeSpan.FromDays(1))));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task An_expired_account_with_a_wrong_secret_is_412_before_the_HMAC()
    {
        var a = await AddByAdmin(("expires", Ms(TimeSpan.FromHours(-1))));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Secret = "wrong" }), 412);
    }

    [Fact]
    public async Task An_expired_account_with_an_expired_request_is_406_first()
    {
        var a = await AddByAdmin(("expires", Ms(TimeSpan.FromHours(-1))));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Expires = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000 }), 406);
    }

    [Fact]
    public async Task An_account_deny_list_makes_a_matching_path_403_and_other_paths_work()
    {
        var a = await AddByAdmin(("acl_deny", "^/account/select$"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select"), 403);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task An_account_deny_list_with_a_wrong_secret_is_403_before_the_HMAC()
    {
        var a = await AddByAdmin(("acl_deny", "^/account/select$"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", new SignOptions { Secret = "wrong" }), 403);
        ApiAssert.Error(await client.Get("/account/get", new SignOptions { Secret = "wrong" }), 401);
    }

    [Fact]
    public async Task An_account_allow_list_makes_a_missing_path_403_and_the_allowed_path_work()
    {
        var a = await AddByAdmin(("acl_allow", "^/account/get$"));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/account/get"));
        ApiAssert.Error(await client.Get("/account/select"), 403);
        ApiAssert.Error(await client.PostForm("/account/update", ("name", "x")), 403);
        ApiAssert.Error(await client.Get("/account/del"), 403);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task An_account_allow_list_with_a_wrong_secret_is_403_before_the_HMAC()
    {
        var a = await AddByAdmin(("acl_allow", "^/account/get$"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", new SignOptions { Secret = "wrong" }), 403);
    }

    [Fact]
    public async Task An_account_deny_list_with_an_invalid_regex_denies_everything()
    {
        var a = await AddByAdmin(("acl_deny", "(["));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get"), 403);
    }

    [Fact]
    public async Task An_account_allow_list_with_an_invalid_regex_allows_nothing()
    {
        var a = await AddByAdmin(("acl_allow", "(["));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/get"), 403);
    }

    [Theory]
    [InlineData("/Account/Select")]
    [InlineData("/account/select/")]
    public async Task A_case_or_trailing_slash_variant_of_a_denied_path_is_403(string path)
    {
        var a = await AddByAdmin(("acl_deny", "^/account/select$"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.GetRaw(path, ""), 403);
    }

    [Fact]
    public async Task A_non_admin_cannot_set_restrictions_or_type_at_add()
    {
        var a = await fixture.AddAccount(
            ("expires", Ms(TimeSpan.FromHours(-1))), ("acl_deny", "^/account/get$"), ("acl_allow", "^/nothing$"), ("type", "admin"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Null(r.Object["type"]);
        Assert.Null(r.Object["expires"]);
        Assert.Null(r.Object["acl_deny"]);
    }

    [Fact]
    public async Task A_signed_non_admin_cannot_set_restrictions_or_type_at_add()
    {
        var caller = await fixture.AddAccount();
        var a = await Accounts.Add(fixture.Server, caller, ("expires", Ms(TimeSpan.FromHours(-1))), ("acl_deny", "^/account/get$"), ("type", "admin"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Null(r.Object["type"]);
    }
}
