using System.Net;

namespace Backend.Tests.Server;

/// <summary>Cookie sessions (compat-notes.md): <c>/account/get?_session=1</c> starts one, unsigned requests with the
/// cookie are that account, <c>_session=0</c> ends it; the session holds a version-2 signature, which is never
/// accepted from a header or query.</summary>
public sealed class SessionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly SignOptions Unsigned = new() { In = SignatureIn.None };

    private async Task<(TestAccount Account, BackendClient Client)> StartSession()
    {
        var a = await fixture.AddAccount();
        var client = fixture.Client(a, cookies: true);
        var r = await client.Get("/account/get", ("_session", "1"));
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        Assert.Contains(r.SetCookies, c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Single(client.Cookies.GetCookies(client.BaseAddress));
        return (a, client);
    }

    [Fact]
    public async Task Session_start_sets_a_cookie_and_unsigned_requests_are_the_account()
    {
        var (a, client) = await StartSession();
        using var _ = client;
        var r = await client.GetRaw("/account/get", "", Unsigned);
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        var u = await client.PostFormRaw("/account/update", "alias=via-session", Unsigned);
        ApiAssert.Ok(u);
        Assert.Equal("via-session", u.Str("alias"));
        ApiAssert.Ok(await client.GetRaw("/account/select", "", Unsigned));
    }

    [Fact]
    public async Task After_session_end_an_unsigned_request_is_400()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.GetRaw("/account/get", "_session=0", Unsigned));
        ApiAssert.Error(await client.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Fact]
    public async Task After_the_session_ends_server_side_the_old_cookie_value_is_400()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        var cookie = client.Cookies.GetCookies(client.BaseAddress).Single();
        ApiAssert.Ok(await client.Get("/account/get", ("_session", "0")));
        // a client that ignores the deletion and replays the old cookie
        using var replay = fixture.Client(null, cookies: true);
        replay.Cookies.Add(client.BaseAddress, new Cookie(cookie.Name, cookie.Value));
        ApiAssert.Error(await replay.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Fact]
    public async Task The_session_cookie_is_not_shared_with_other_clients()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        using var other = fixture.Client(null, cookies: true);
        ApiAssert.Error(await other.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_forged_session_cookie_is_400(string value)
    {
        using var client = fixture.Client(null, cookies: true);
        client.Cookies.Add(client.BaseAddress, new Cookie("bk_session", value));
        ApiAssert.Error(await client.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Fact]
    public async Task A_signed_request_of_another_account_wins_over_the_session_cookie()
    {
        var (a, client) = await StartSession();
        using var _ = client;
        var b = await fixture.AddAccount();
        client.Account = b;
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Equal(b.Id, r.Str("id"));
        client.Account = a;
    }

    [Fact]
    public async Task A_session_is_no_longer_valid_after_a_secret_change()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.Get("/account/put/secret", ("secret", Accounts.NewSecret())));
        var r = await client.GetRaw("/account/get", "", Unsigned);
        Assert.True(r.Status is 400 or 401, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task A_session_is_4xx_after_the_account_is_deleted()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.GetRaw("/account/del", "", Unsigned));
        var r = await client.GetRaw("/account/get", "", Unsigned);
        Assert.True(r.Status is 400 or 404, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task An_invalid_session_flag_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a, cookies: true);
        ApiAssert.Error(await client.Get("/account/get", ("_session", "maybe")), 400);
        Assert.Empty(client.Cookies.GetCookies(client.BaseAddress));
    }

    [Fact]
    public async Task A_version_2_signature_from_the_cookie_is_not_usable_in_the_header()
    {
        var (a, client) = await StartSession();
        using var _ = client;
        using var header = fixture.Client(a);
        ApiAssert.Error(await header.Get("/account/get", new SignOptions { Version = 2 }), 400);
    }

    [Fact]
    public async Task Session_start_with_a_bad_signature_is_401_and_sets_no_cookie()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a, cookies: true);
        var r = await client.Get("/account/get", new SignOptions { Secret = "wrong" }, ("_session", "1"));
        ApiAssert.Error(r, 401);
        Assert.Empty(r.SetCookies);
        Assert.Empty(client.Cookies.GetCookies(client.BaseAddress));
    }

    [Fact]
    public async Task A_bad_signature_header_next_to_a_valid_session_cookie_is_not_the_account()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        var r = await client.Get("/account/get", new SignOptions { Secret = "wrong" });
        ApiAssert.Error(r, 401);
    }
}
