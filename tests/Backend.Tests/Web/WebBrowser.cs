using Backend.Tests.Server;
using Microsoft.Playwright;

namespace Backend.Tests.Web;

/// <summary>The Debian <c>chromium</c> driven by Playwright. Playwright's own browsers are never downloaded: the
/// package's driver (node, bundled in the NuGet package) launches the system binary by path, offline.</summary>
internal static class WebBrowser
{
    /// <summary>Where the Debian package puts it; <c>BKCS_CHROMIUM</c> names another binary.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    /// <summary>The Chromium binary, or a skip (a failure under <c>CI=true</c>) when there is none.</summary>
    public static string Require()
    {
        var path = Environment.GetEnvironmentVariable("BKCS_CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;
        if (File.Exists(path)) return path;
        var why = $"no Chromium at {path}: scripts/servers start installs it (apt-get install chromium)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return "";
    }

    /// <summary>Starts headless Chromium.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var path = Require();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = path,
                Headless = true,
                // /dev/shm is small in containers; the GPU is absent anyway.
                Args = ["--disable-dev-shm-usage", "--disable-gpu"],
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

/// <summary>Where screenshots go: <c>artifacts/screenshots/</c> at the repository root (beside
/// <c>artifacts/test-results</c>), or <c>BKCS_SCREENSHOTS_DIR</c>.</summary>
internal static class Screenshots
{
    public static string Directory
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("BKCS_SCREENSHOTS_DIR");
            if (string.IsNullOrEmpty(path))
            {
                var dir = new DirectoryInfo(AppContext.BaseDirectory);
                while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) dir = dir.Parent;
                path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "screenshots");
            }
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>Saves a screenshot (of the whole page, or of the window for long pages) as <c>NAME.png</c> and returns its path.</summary>
    public static async Task<string> Save(IPage page, string name, bool fullPage = true)
    {
        ArgumentNullException.ThrowIfNull(page);
        var file = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = fullPage });
        return file;
    }
}

/// <summary>A server with a <c>-web-dir</c> holding a page written for the 2014 client, and one Chromium for the test
/// class, started on first use (so a machine without Chromium skips the tests instead of failing the fixture).</summary>
public sealed class WebConsoleFixture : ServerFixture
{
    private readonly string _webDir = System.IO.Directory.CreateTempSubdirectory("bkcs-web-").FullName;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The 2014-style page in the web dir, at <c>/old.html</c>.</summary>
    public const string OldPage = "old.html";

    /// <summary>A 2x2 red PNG in the web dir, for the console's inline image.</summary>
    public const string Image = "pixel.png";

    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-web-dir", _webDir];

    /// <inheritdoc />
    public override async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_webDir, OldPage), OldPageHtml);
        await File.WriteAllBytesAsync(Path.Combine(_webDir, Image),
            Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg=="));
        await base.InitializeAsync();
    }

    /// <summary>The browser (launched once).</summary>
    public async Task<IBrowser> Browser()
    {
        await _lock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_browser is null) (_playwright, _browser) = await WebBrowser.LaunchAsync();
            return _browser;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>A new browser context (its own localStorage and cookies) on the server.</summary>
    public async Task<IBrowserContext> NewContext()
    {
        var browser = await Browser();
        return await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
    }

    /// <summary>Stops the browser, the server and removes the web dir.</summary>
    public async Task StopBrowser()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _browser = null;
        _playwright = null;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await StopBrowser();
        _lock.Dispose();
        await base.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(_webDir, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    // A page as apps wrote them for the 2014 client: it loads /js/backend.js and calls the global Backend object with
    // callbacks, no module system, no promises. Credentials are in localStorage already (the test puts them there,
    // as the page's own login form would have).
    private const string OldPageHtml = """
        <!DOCTYPE html>
        <html><head><title>2014 page</title>
        <script src="/js/backend.js"></script>
        </head><body>
        <div id="get"></div><div id="update"></div><div id="signed-url"></div><div id="old-sign"></div><div id="error"></div>
        <script>
        function show(id, text) { document.getElementById(id).textContent = text; }
        Backend.send("/account/get", function(account) {
            show("get", "get:" + account.login);
            Backend.send({ type: "POST", url: "/account/update", data: { name: "Updated 2014" } }, function(rc) {
                Backend.send({ url: "/account/get", jsonType: "object" }, function(again) { show("update", "update:" + again.name); });
            }, function(msg) { show("update", "update failed:" + msg); });
        }, function(msg, xhr) { show("get", "get failed:" + msg); });

        var xhr = new XMLHttpRequest();
        xhr.open("GET", Backend.signUrl("/account/get"));
        xhr.onload = function() { show("signed-url", "signed-url:" + xhr.status + ":" + JSON.parse(xhr.responseText).login); };
        xhr.send();

        var old = new XMLHttpRequest(), headers = Backend.sign("GET", "/account/get?_session=0", Date.now() + 60000);
        old.open("GET", "/account/get?_session=0");
        for (var h in headers) old.setRequestHeader(h, headers[h]);
        old.onload = function() { show("old-sign", "old-sign:" + old.status); };
        old.send();

        Backend.send({ url: "/no/such/endpoint" }, function() { show("error", "error:none"); }, function(msg, xhr, status) { show("error", "error:" + status); });
        </script>
        </body></html>
        """;
}
