using System.Net;

namespace Backend.Tests.Server;

/// <summary><c>-api-disable</c>, <c>-api-no-session</c> and <c>-api-no-static</c>, the reference's switches, on a
/// running server.</summary>
public sealed class ModuleSwitchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_disable_turns_the_named_modules_off_and_leaves_the_rest()
    {
        await using var server = await BackendServer.StartAsync(["-api-disable", "data,counter", "-api-disable", "location"]);
        var a = await Accounts.Add(server, null);
        using var client = server.Client(a);
        ApiAssert.Ok(await client.Get("/account/get"));
        ApiAssert.Ok(await client.Get("/connection/select", ("type", "like")));
        foreach (var path in new[] { "/counter/get", "/counter/incr", "/location/get", "/location/put", "/data/select/bk_account" })
            Assert.Equal(404, (await client.Get(path)).Status);
        // the account's tables are kept: deleting it still removes its counter row (the deletion handler stays)
        ApiAssert.Ok(await client.Get("/account/del"));
    }

    [Fact]
    public async Task Api_disable_with_an_unknown_module_stops_start_up_with_one_line()
    {
        var (code, _, stderr) = await BackendServer.RunCommandAsync(["run", "-home", BackendServer.CreateHome(), "-port", "1", "-api-disable", "data,icons"]);
        Assert.Equal(2, code);
        Assert.Contains("invalid value for -api-disable: icons is not a module", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_no_session_starts_no_cookie_session()
    {
        await using var server = await BackendServer.StartAsync(["-api-no-session"]);
        var a = await Accounts.Add(server, null);
        using var client = server.Client(a, cookies: true);
        var r = await client.Get("/account/get", ("_session", "1"));
        ApiAssert.Ok(r);
        Assert.Empty(r.SetCookies);
        Assert.Empty(client.Cookies.GetCookies(client.BaseAddress));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Api_no_static_serves_no_files_from_web_dir_and_no_console(bool noStatic)
    {
        var home = BackendServer.CreateHome();
        Directory.CreateDirectory(Path.Combine(home, "web"));
        await File.WriteAllTextAsync(Path.Combine(home, "web", "hello.txt"), "hello", Ct);
        string[] args = noStatic ? ["-api-no-static", "-api-allow-path", "^/hello.txt$"] : ["-api-allow-path", "^/hello.txt$"];
        await using var server = await BackendServer.StartAsync(args, home, ownsHome: true);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync(new Uri("/hello.txt", UriKind.Relative), Ct);
        if (noStatic) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        else Assert.Equal("hello", await response.Content.ReadAsStringAsync(Ct));
        // The console, the docs page and the browser client were static files in the reference: off with them.
        foreach (var page in new[] { "/api.html", "/doc.html", "/js/backend.js" })
        {
            using var reply = await http.GetAsync(new Uri(page, UriKind.Relative), Ct);
            Assert.Equal(noStatic ? HttpStatusCode.NotFound : HttpStatusCode.OK, reply.StatusCode);
        }
    }
}
