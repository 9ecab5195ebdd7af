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
    public async Task Session_Start_SetsCookie_UnsignedRequestsAreTheAccount()
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
    public async Task Session_End_ThenUnsignedReturns400()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.GetRaw("/account/get", "_session=0", Unsigned));
        ApiAssert.Error(await client.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Fact]
    public async Task Session_EndedServerSide_OldCookieValueReturns400()
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
    public async Task Session_CookieIsNotSharedWithOtherClients()
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
    public async Task Session_ForgedCookie_Returns400(string value)
    {
        using var client = fixture.Client(null, cookies: true);
        client.Cookies.Add(client.BaseAddress, new Cookie("bk_session", value));
        ApiAssert.Error(await client.GetRaw("/account/get", "", Unsigned), 400);
    }

    [Fact]
    public async Task Session_SignedRequestOfOtherAccount_WinsOverCookie()
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
    public async Task Session_AfterSecretChange_IsNoLongerValid()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.Get("/account/put/secret", ("secret", Accounts.NewSecret())));
        var r = await client.GetRaw("/account/get", "", Unsigned);
        Assert.True(r.Status is 400 or 401, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task Session_AfterAccountDeleted_Returns4xx()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        ApiAssert.Ok(await client.GetRaw("/account/del", "", Unsigned));
        var r = await client.GetRaw("/account/get", "", Unsigned);
        Assert.True(r.Status is 400 or 404, r.ToString());
        ApiAssert.Error(r, r.Status);
    }

    [Fact]
    public async Task Session_InvalidFlag_Returns400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a, cookies: true);
        ApiAssert.Error(await client.Get("/account/get", ("_session", "maybe")), 400);
        Assert.Empty(client.Cookies.GetCookies(client.BaseAddress));
    }

    [Fact]
    public async Task Session_Version2SignatureFromCookieIsNotUsableInHeader()
    {
        var (a, client) = await StartSession();
        using var _ = client;
        using var header = fixture.Client(a);
        ApiAssert.Error(await header.Get("/account/get", new SignOptions { Version = 2 }), 400);
    }

    [Fact]
    public async Task Session_StartWithBadSignature_Returns401AndSetsNoCookie()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a, cookies: true);
        var r = await client.Get("/account/get", new SignOptions { Secret = "wrong" }, ("_session", "1"));
        ApiAssert.Error(r, 401);
        Assert.Empty(r.SetCookies);
        Assert.Empty(client.Cookies.GetCookies(client.BaseAddress));
    }

    [Fact]
    public async Task Session_BadSignatureHeaderNextToValidCookie_IsNotTheAccount()
    {
        var (_, client) = await StartSession();
        using var _ = client;
        var r = await client.Get("/account/get", new SignOptions { Secret = "wrong" });
        ApiAssert.Error(r, 401);
    }
}
