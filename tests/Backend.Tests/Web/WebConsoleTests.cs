using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Backend.Security;
using Backend.Tests.Security;
using Backend.Tests.Server;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Backend.Tests.Web;

/// <summary>/api.html, /doc.html and /js/backend.js in a real headless Chromium against a real server: log in, add an
/// account, send signed requests and a cookie session, the signer against the 2014 vectors, the docs page, and a page
/// written for the 2014 client.</summary>
public sealed partial class WebConsoleTests(WebConsoleFixture fixture) : IClassFixture<WebConsoleFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    static WebConsoleTests()
    {
        // Two cores shared by many servers and a browser: page work can take seconds.
        SetDefaultExpectTimeout(30_000);
    }

    [Fact]
    public async Task Console_logs_in_adds_an_account_and_shows_a_signed_reply()
    {
        var a = await fixture.AddAccount();
        await using var context = await fixture.NewContext();
        var page = await Open(context, "/api.html");
        var sent = new List<string>();
        page.Request += (_, request) =>
            sent.Add(request.Url + "\n" + string.Join("\n", request.Headers.Select(h => h.Key + ": " + h.Value)) + "\n" + request.PostData);

        await page.FillAsync("#login", a.Login);
        await page.FillAsync("#secret", a.Secret);
        await page.SelectOptionAsync("#sigversion", "1");
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#whoami")).ToContainTextAsync(a.Id);
        await Screenshots.Save(page, "console-logged-in");
        // The secret stays in the browser: it is in localStorage, and no request carried it.
        Assert.Equal(a.Secret, await page.EvaluateAsync<string>("() => localStorage.backendSecret"));
        Assert.DoesNotContain(sent, s => s.Contains(a.Secret, StringComparison.Ordinal));
        Assert.Contains(sent, s => s.Contains("bk-signature: 1||" + a.Login + "|", StringComparison.Ordinal));

        // Backend.addAccount through the page's form: the new account is created and becomes the signed-in one.
        var login = Accounts.UniqueLogin("console");
        var secret = Accounts.NewSecret();
        await page.FillAsync("#add-login", login);
        await page.FillAsync("#add-secret", secret);
        await page.FillAsync("#add-name", "Console User");
        await page.ClickAsync("#add-button");
        await Expect(page.Locator("#whoami")).ToContainTextAsync(login);
        using (var client = fixture.Server.Client(new TestAccount(login, secret, "")))
            Assert.Equal("Console User", (await client.Get("/account/get")).Str("name"));

        // A documented endpoint picked from the list, sent signed (v3 now), the JSON reply shown.
        await page.SelectOptionAsync("#sigversion", "3");
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#whoami")).ToContainTextAsync(login);
        await page.SelectOptionAsync("#endpoint", "/account/get");
        Assert.Equal("/account/get", await page.InputValueAsync("#path"));
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToContainTextAsync("200");
        await Expect(page.Locator("#reply")).ToContainTextAsync("\"login\": \"" + login + "\"");
        await Expect(page.Locator("#signed-text")).ToContainTextAsync("bk-signature: 3||" + login + "|");
        await Screenshots.Save(page, "console-reply");

        // Any path with parameters, as a form POST: the name changes on the server.
        await page.FillAsync("#path", "/account/update");
        await page.SelectOptionAsync("#method", "POST");
        await page.FillAsync("#params .param-name", "name");
        await page.FillAsync("#params .param-value", "Renamed in the console");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#signed-text")).ToContainTextAsync("POST\n127.0.0.1\n/account/update\nname=Renamed+in+the+console\n");
        await Expect(page.Locator("#status")).ToContainTextAsync("200");
        using (var client = fixture.Server.Client(new TestAccount(login, secret, "")))
            Assert.Equal("Renamed in the console", (await client.Get("/account/get")).Str("name"));

        // The same as a JSON body: its checksum is signed and checked by the server.
        await page.SelectOptionAsync("#body-type", "json");
        await page.FillAsync("#params .param-value", "Renamed with JSON");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToContainTextAsync("200");
        await Expect(page.Locator("#signed-text")).ToContainTextAsync("application/json");
        using (var client = fixture.Server.Client(new TestAccount(login, secret, "")))
            Assert.Equal("Renamed with JSON", (await client.Get("/account/get")).Str("name"));

        // An account the server refuses (the login is taken) leaves the signed-in one as it was.
        await page.FillAsync("#add-login", a.Login);
        await page.FillAsync("#add-secret", "another");
        await page.ClickAsync("#add-button");
        await Expect(page.Locator("#message")).ToContainTextAsync("add failed");
        Assert.Equal(login, await page.EvaluateAsync<string>("() => Backend.getCredentials().login"));

        // An error is shown with its status, not as a success.
        await page.SelectOptionAsync("#method", "GET");
        await page.FillAsync("#path", "/account/get");
        await page.EvaluateAsync("() => localStorage.backendSecret = 'wrong'");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToContainTextAsync("401");
        await Expect(page.Locator("#status")).ToHaveClassAsync("error");
        AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Console_keeps_a_cookie_session_after_session_login_and_ends_it_on_logout()
    {
        var a = await fixture.AddAccount();
        await using var context = await fixture.NewContext();
        var page = await Open(context, "/api.html#/account/get");
        Assert.Equal("/account/get", await page.InputValueAsync("#path"));

        await page.FillAsync("#login", a.Login);
        await page.FillAsync("#secret", a.Secret);
        await page.SelectOptionAsync("#sigversion", "3");
        await page.CheckAsync("#session");
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#whoami")).ToContainTextAsync(a.Id + "), session");
        Assert.Contains(await context.CookiesAsync(), c => c.HttpOnly);

        // Unsigned now: the cookie authenticates.
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToContainTextAsync("200");
        await Expect(page.Locator("#signed-text")).ToContainTextAsync("(sent unsigned)");
        await Expect(page.Locator("#reply")).ToContainTextAsync(a.Id);
        await Screenshots.Save(page, "console-session");

        await page.ClickAsync("#logout-button");
        await Expect(page.Locator("#whoami")).ToHaveTextAsync("not logged in");
        Assert.Equal("", await page.EvaluateAsync<string>("() => localStorage.backendSecret"));
        // The server ended the session: the same unsigned request is refused.
        await page.EvaluateAsync("() => { Backend.session = true; }");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToHaveClassAsync("error");
        AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Console_shows_an_image_reply_inline()
    {
        await using var context = await fixture.NewContext();
        var page = await Open(context, "/api.html");
        await page.FillAsync("#path", "/" + WebConsoleFixture.Image);
        await page.CheckAsync("#unsigned");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#status")).ToContainTextAsync("200");
        await Expect(page.Locator("#reply-image")).ToBeVisibleAsync();
        Assert.Equal(2, await page.EvaluateAsync<int>("() => document.getElementById('reply-image').naturalWidth"));
        await Expect(page.Locator("#reply")).ToContainTextAsync("image/png");
        AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Browser_signer_reproduces_every_vector()
    {
        await using var context = await fixture.NewContext();
        var page = await Open(context, "/api.html");
        var vectors = SignatureVectors.Signed.ToList();
        Assert.NotEmpty(vectors);
        var input = new JsonArray([.. vectors.Select(v => new JsonObject
        {
            ["id"] = v.Id,
            ["method"] = v.Method,
            // Absolute URLs with a port: the host of the vector is what is signed, the port is dropped.
            ["url"] = "http://" + v.Host + ":8000" + v.Path,
            ["query"] = v.Query,
            ["login"] = v.Login,
            ["secret"] = v.Secret,
            ["sigversion"] = v.Sigversion,
            ["expires"] = v.Expires,
            ["contentType"] = v.ContentType,
            ["body"] = v.Body,
        })]);
        var output = JsonNode.Parse(await page.EvaluateAsync<string>("""
            input => JSON.stringify(JSON.parse(input).map(v => {
                const s = Backend.signature(v.method, v.url, v.query, { login: v.login, secret: v.secret, sigversion: v.sigversion,
                    expires: v.expires, contentType: v.contentType, body: v.body });
                const h = Backend.sign(v.method, v.url, v.query, { login: v.login, secret: v.secret, sigversion: v.sigversion,
                    expires: v.expires, contentType: v.contentType, body: v.body });
                return { id: v.id, stringToSign: s.stringToSign, query: s.query, checksum: s.checksum, signature: s.signature, header: h["bk-signature"] };
            }))
            """, input.ToJsonString()))!.AsArray();
        Assert.Equal(vectors.Count, output.Count);
        foreach (var (v, o) in vectors.Zip(output))
        {
            Assert.Equal(v.Id, o!["id"]!.GetValue<string>());
            Assert.Equal(v.StringToSign, o["stringToSign"]!.GetValue<string>());
            Assert.Equal(v.SortedQuery, o["query"]!.GetValue<string>());
            Assert.Equal(v.Checksum, o["checksum"]!.GetValue<string>());
            Assert.Equal(v.Signature, o["signature"]!.GetValue<string>());
            Assert.Equal(v.Header, o["header"]!.GetValue<string>());
        }

        // The object form of a query is encoded as jQuery.param did (the vector's note).
        var objectQuery = SignatureVectors.Get("v1-get-object-query");
        Assert.Equal(objectQuery.Query, await page.EvaluateAsync<string>("() => Backend.toQuery({ id: 12345, msg: 'hello world+1 ü', icon: 'a/b+c=' })"));
        // A relative URL signs the page's host name, without its port.
        Assert.StartsWith("GET\n127.0.0.1\n/account/get\nid=1\n", await page.EvaluateAsync<string>("() => Backend.signature('GET', '/account/get?id=1', null, { login: 'x', secret: 'y' }).stringToSign"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_hashes_match_the_server_on_random_input()
    {
        await using var context = await fixture.NewContext();
        var page = await Open(context, "/api.html");
        var random = new Random(20140915);
        // Whole characters (the emoji is a surrogate pair): JSON on the way to the page would turn a lone half into U+FFFD.
        string[] alphabet = ["a", "b", "c", "X", "Y", "Z", "0", "1", "9", " ", "=", "&", "%", "+", "/", "\n", "|", "ä", "ö", "ü", "€", "😀", "\u00ff"];
        var cases = new List<(string Key, string Message)>();
        foreach (var length in new[] { 0, 1, 55, 56, 63, 64, 65, 119, 120, 200 })
        {
            // Lengths around the 64-byte block and the 56-byte padding edge, for keys and messages alike.
            string Make(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => alphabet[random.Next(alphabet.Length)]));
            cases.Add((Make(random.Next(1, 80)), Make(length)));
            cases.Add((Make(length + 1), Make(random.Next(0, 70))));
        }
        var input = JsonSerializer.Serialize(cases.Select(c => new[] { c.Key, c.Message }));
        var output = JsonNode.Parse(await page.EvaluateAsync<string>("""
            input => JSON.stringify(JSON.parse(input).map(c => [
                Backend.crypto.b64_hmac_sha1(c[0], c[1]), Backend.crypto.b64_hmac_sha256(c[0], c[1]), Backend.crypto.b64_sha1(c[1]),
                ...(s => [s.stringToSign, s.signature])(Backend.signature("GET", "http://h/p", c[1], { login: "l", secret: c[0], expires: 4102444800000, latin1: true }))]))
            """, input))!.AsArray();
        for (var i = 0; i < cases.Count; i++)
        {
            var (key, message) = cases[i];
            Assert.Equal(RequestSignature.Compute(1, key, message), output[i]![0]!.GetValue<string>());
            Assert.Equal(RequestSignature.Compute(3, key, message), output[i]![1]!.GetValue<string>());
            Assert.Equal(RequestSignature.BodyChecksum(System.Text.Encoding.UTF8.GetBytes(message)), output[i]![2]!.GetValue<string>());
            // The 2014 client's Latin-1 key (the low byte of each UTF-16 unit), which the server also accepts.
            var text = RequestSignature.StringToSign(SigningRequest.From("GET", "h", "/p", message, null, null, ""), 4102444800000);
            Assert.Equal(text, output[i]![3]!.GetValue<string>());
            Assert.Equal(RequestSignature.Compute(1, key, text, latin1Key: true), output[i]![4]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Doc_page_has_a_toc_and_a_console_link_per_endpoint()
    {
        var markdown = await File.ReadAllTextAsync(RepoFile("docs", "api.md"), Ct);
        var headings = markdown.Split('\n').Where(l => l.StartsWith("## ", StringComparison.Ordinal) || l.StartsWith("### ", StringComparison.Ordinal)).ToList();
        var paths = headings.SelectMany(h => HeadingPath().Matches(h).Select(m => m.Value)).Distinct(StringComparer.Ordinal).ToList();
        Assert.Contains("/account/get", paths);
        Assert.Contains("/system/cache/get", paths);

        await using var context = await fixture.NewContext();
        var page = await Open(context, "/doc.html");
        Assert.Equal(headings.Count, await page.Locator("nav#toc ul a").CountAsync());
        foreach (var path in paths)
            Assert.True(await page.Locator($"main a.console[href=\"/api.html#{path}\"]").CountAsync() >= 1, $"no console link for {path}");
        // Every table of contents link lands on a heading.
        var missing = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('nav#toc ul a')].map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))");
        Assert.Empty(missing);
        // docs/api.md is tens of screens long: the window is enough to see the layout.
        await Screenshots.Save(page, "doc", fullPage: false);

        // The link opens the console with the endpoint filled in.
        await page.Locator("main a.console[href=\"/api.html#/account/get\"]").First.ClickAsync();
        await page.WaitForURLAsync("**/api.html#/account/get");
        await Expect(page.Locator("#path")).ToHaveValueAsync("/account/get");
        await Expect(page.Locator("#endpoint")).ToHaveValueAsync("/account/get");
        // The console lists the same endpoints, from the same document.
        var listed = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#endpoint option')].map(o => o.value).filter(v => v)");
        Assert.Equal(paths.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        AssertNoPageErrors(page);
    }

    [Fact]
    public async Task A_2014_page_using_Backend_send_works()
    {
        var a = await fixture.AddAccount();
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        var errors = Track(page);
        // As the page's own login would have stored them (the 2014 client's localStorage keys).
        await page.GotoAsync("/js/backend.js");
        await page.EvaluateAsync("([login, secret]) => { localStorage.backendLogin = login; localStorage.backendSecret = secret; localStorage.backendSigVersion = '1'; }", new[] { a.Login, a.Secret });
        await page.GotoAsync("/" + WebConsoleFixture.OldPage);
        await Expect(page.Locator("#get")).ToHaveTextAsync("get:" + a.Login);
        await Expect(page.Locator("#update")).ToHaveTextAsync("update:Updated 2014");
        await Expect(page.Locator("#signed-url")).ToHaveTextAsync("signed-url:200:" + a.Login);
        await Expect(page.Locator("#old-sign")).ToHaveTextAsync("old-sign:200");
        await Expect(page.Locator("#error")).ToHaveTextAsync("error:404");
        await Screenshots.Save(page, "page-2014");
        Assert.DoesNotContain(errors, e => !e.Contains("404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pages_carry_safe_headers_and_revalidate_with_their_etag()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        foreach (var (path, type) in new[] { ("/api.html", "text/html"), ("/doc.html", "text/html"), ("/js/backend.js", "text/javascript") })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
            var etag = response.Headers.ETag;
            Assert.NotNull(etag);
            if (type == "text/html")
            {
                var policy = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
                Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
                Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
                Assert.DoesNotContain("script-src 'unsafe-inline'", policy, StringComparison.Ordinal);
            }
            using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            again.Headers.IfNoneMatch.Add(etag);
            using var cached = await http.SendAsync(again, Ct);
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        }
    }

    private static async Task<IPage> Open(IBrowserContext context, string path)
    {
        var page = await context.NewPageAsync();
        Track(page);
        await page.GotoAsync(path);
        return page;
    }

    // Uncaught script errors and console errors (a Content-Security-Policy violation is one), kept per page.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> Errors = [];

    private static List<string> Track(IPage page)
    {
        var errors = Errors.GetOrCreateValue(page);
        page.PageError += (_, error) => { lock (errors) errors.Add("page error: " + error); };
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add(message.Text); };
        return errors;
    }

    private static void AssertNoPageErrors(IPage page)
    {
        var errors = Errors.GetOrCreateValue(page);
        lock (errors)
        {
            // Replies with an error status are logged by the browser as failed resources; anything else is a fault.
            Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource", StringComparison.Ordinal));
        }
    }

    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Path.Combine([dir.FullName, .. parts]);
    }

    [GeneratedRegex(@"(?<![\w/])/[a-z][A-Za-z0-9_\-]*(?:/[A-Za-z0-9_\-]+)*")]
    private static partial Regex HeadingPath();
}
