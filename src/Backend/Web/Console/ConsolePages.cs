using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backend.Web.Console;

/// <summary>Reads the files embedded under Web/Console (and the linked docs/api.md).</summary>
internal static class ConsoleResources
{
    /// <summary>The text of an embedded resource.</summary>
    /// <exception cref="InvalidOperationException">The resource is not in the assembly (a build mistake).</exception>
    public static string ReadText(string name)
    {
        using var stream = typeof(ConsoleResources).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("missing embedded resource " + name);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

/// <summary>One page ready to serve: its bytes, type, strong ETag and Content-Security-Policy.</summary>
internal sealed class ConsolePage
{
    public ConsolePage(string text, string contentType, string? policy)
    {
        Body = Encoding.UTF8.GetBytes(text);
        ContentType = contentType;
        Policy = policy;
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Body))[..32] + "\"";
    }

    public byte[] Body { get; }

    public string ContentType { get; }

    public string? Policy { get; }

    public string ETag { get; }
}

/// <summary>The developer's pages, served from the assembly: <c>/doc.html</c> (docs/api.md rendered, with a table of
/// contents and a console link per endpoint), <c>/api.html</c> (the console: log in, pick an endpoint, sign in the
/// browser, send) and <c>/js/backend.js</c> (the 2014 browser client's <c>Backend</c> object, which the console uses
/// and old pages load). They are public like static files (the default allow list covers <c>.html</c> and
/// <c>.js</c>), carry no data, and are off with <c>-api-no-static</c>, as the reference's web/ files were. A file of
/// the same path in <c>-web-dir</c> wins: the static files run before routing.</summary>
internal static class ConsolePages
{
    // Everything is built on first use, once per process: rendering the docs costs some milliseconds and most
    // processes never serve them.
    private static readonly Lazy<ApiDoc> Doc = new(() => ApiDoc.Parse(ApiDoc.ReadMarkdown()));
    private static readonly Lazy<ConsolePage> DocPage = new(BuildDocPage);
    private static readonly Lazy<ConsolePage> ConsolePageValue = new(BuildConsolePage);
    private static readonly Lazy<ConsolePage> ScriptPage = new(() =>
        new ConsolePage(ConsoleResources.ReadText("Backend.Web.Console.backend.js"), "text/javascript; charset=utf-8", null));

    /// <summary>The parsed docs (tests read the endpoint list from it).</summary>
    public static ApiDoc ApiDoc => Doc.Value;

    /// <summary>Maps the three pages.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/doc.html", ["GET", "HEAD"], context => Serve(context, DocPage.Value)).ExcludeFromDescription();
        routes.MapMethods("/api.html", ["GET", "HEAD"], context => Serve(context, ConsolePageValue.Value)).ExcludeFromDescription();
        routes.MapMethods("/js/backend.js", ["GET", "HEAD"], context => Serve(context, ScriptPage.Value)).ExcludeFromDescription();
    }

    private static Task Serve(HttpContext context, ConsolePage page)
    {
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ETag = page.ETag;
        // Revalidated every time: after an upgrade the browser gets the new console at once, and a 304 costs nothing.
        response.Headers.CacheControl = "no-cache";
        response.Headers["Referrer-Policy"] = "no-referrer";
        if (page.Policy is not null) response.Headers.ContentSecurityPolicy = page.Policy;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == page.ETag || t.Trim() == "*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.ContentType = page.ContentType;
        response.ContentLength = page.Body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(page.Body, context.RequestAborted).AsTask();
    }

    // Only this server's own scripts and styles inline in the page; replies are fetched from the same origin, and
    // images shown inline are blob: URLs of those replies.
    private static string Policy(string scriptHash) =>
        "default-src 'none'; script-src 'self' 'sha256-" + scriptHash + "'; style-src 'unsafe-inline'; img-src 'self' blob: data:; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static ConsolePage BuildDocPage()
    {
        var doc = Doc.Value;
        var template = ConsoleResources.ReadText("Backend.Web.Console.doc.html");
        var html = template
            .Replace("{{title}}", WebUtility.HtmlEncode(doc.Title), StringComparison.Ordinal)
            .Replace("{{toc}}", doc.TocHtml, StringComparison.Ordinal)
            .Replace("{{body}}", doc.BodyHtml, StringComparison.Ordinal);
        return new ConsolePage(html, "text/html; charset=utf-8",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    }

    private static ConsolePage BuildConsolePage()
    {
        var template = ConsoleResources.ReadText("Backend.Web.Console.api.html");
        // The endpoint list travels in a JSON data block (not a script the browser runs); "<" is escaped so no
        // heading text can close the element.
        var endpoints = Doc.Value.EndpointsJson().Replace("<", "\\u003c", StringComparison.Ordinal);
        var html = template.Replace("{{endpoints}}", endpoints, StringComparison.Ordinal);
        // The console's own script is inline; the policy names it by hash instead of allowing every inline script.
        var start = html.IndexOf("<script>", StringComparison.Ordinal);
        var end = html.IndexOf("</script>", start + 1, StringComparison.Ordinal);
        if (start < 0 || end < 0) throw new InvalidOperationException("api.html has no inline <script>");
        var script = html[(start + "<script>".Length)..end];
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)));
        return new ConsolePage(html, "text/html; charset=utf-8", Policy(hash));
    }
}
