using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Backend.Web.Console;

/// <summary>One endpoint of docs/api.md, as the console's list shows it.</summary>
/// <param name="Path">The path as documented (upper-case words such as <c>TABLE</c> are placeholders).</param>
/// <param name="Section">The <c>##</c> heading of its part of the document (the console groups the list by it).</param>
/// <param name="Anchor">The heading's id in /doc.html.</param>
internal sealed record ApiEndpoint(string Path, string Section, string Anchor);

/// <summary>docs/api.md, embedded in the assembly, parsed once: the HTML of /doc.html (a table of contents from the
/// <c>##</c>/<c>###</c> headings, and a console link beside every path a heading names) and the endpoint list of
/// /api.html. The markdown stays the single source: the docs and the pages cannot drift apart.</summary>
internal sealed partial class ApiDoc
{
    /// <summary>The assembly resource name of docs/api.md (linked from Backend.csproj).</summary>
    public const string ResourceName = "Backend.Web.Console.api.md";

    private ApiDoc(string title, string tocHtml, string bodyHtml, IReadOnlyList<ApiEndpoint> endpoints)
    {
        Title = title;
        TocHtml = tocHtml;
        BodyHtml = bodyHtml;
        Endpoints = endpoints;
    }

    /// <summary>The document's <c>#</c> heading.</summary>
    public string Title { get; }

    /// <summary>The table of contents: nested lists of links to the headings.</summary>
    public string TocHtml { get; }

    /// <summary>The document rendered.</summary>
    public string BodyHtml { get; }

    /// <summary>Every path named in a heading, in document order, without duplicates.</summary>
    public IReadOnlyList<ApiEndpoint> Endpoints { get; }

    /// <summary>Reads the embedded docs/api.md.</summary>
    public static string ReadMarkdown() => ConsoleResources.ReadText(ResourceName);

    /// <summary>Parses and renders <paramref name="markdown"/>.</summary>
    public static ApiDoc Parse(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        // DisableHtml: the page's CSP forbids inline scripts anyway, but raw HTML in the docs is rendered as text so
        // the page never depends on it. Auto identifiers give every heading a stable, GitHub-style id to link to.
        var pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub).DisableHtml().Build();
        var document = Markdown.Parse(markdown, pipeline);

        var title = "HTTP API";
        var toc = new StringBuilder();
        var endpoints = new List<ApiEndpoint>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var headings = new List<(int Level, string Id, string Text)>();
        var section = "";
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            var text = InlineText(heading.Inline);
            if (heading.Level == 1)
            {
                title = text;
                continue;
            }
            if (heading.Level > 3) continue;
            var id = heading.GetAttributes().Id ?? "";
            headings.Add((heading.Level, id, text));
            if (heading.Level == 2) section = text;
            foreach (var path in PathPattern().Matches(text).Select(m => m.Value.TrimEnd('/')).Where(p => p.Length > 1))
            {
                if (seen.Add(path)) endpoints.Add(new ApiEndpoint(path, section.Length > 0 ? section : text, id));
                AppendConsoleLink(heading, path);
            }
        }
        // Two levels: a ### opens a sub-list under the ## before it (one before any ## stays at the top level).
        toc.Append("<ul>");
        var nested = false;
        for (var i = 0; i < headings.Count; i++)
        {
            var (headingLevel, id, text) = headings[i];
            var sub = headingLevel == 3 && i > 0;
            if (i > 0)
            {
                if (sub && !nested) toc.Append("<ul>");
                else if (!sub && nested) toc.Append("</li></ul></li>");
                else toc.Append("</li>");
            }
            nested = sub;
            toc.Append("<li><a href=\"#").Append(WebUtility.HtmlEncode(id)).Append("\">").Append(WebUtility.HtmlEncode(text)).Append("</a>");
        }
        if (headings.Count > 0) toc.Append(nested ? "</li></ul></li>" : "</li>");
        toc.Append("</ul>");

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return new ApiDoc(title, toc.ToString(), writer.ToString(), endpoints);
    }

    /// <summary>The endpoints as the JSON the console reads: <c>[{"path","section","anchor"}]</c>.</summary>
    public string EndpointsJson() =>
        JsonSerializer.Serialize(Endpoints.Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["section"] = e.Section, ["anchor"] = e.Anchor }));

    // A link after the heading's text, added to the parsed document so the renderer escapes it like any other link;
    // ids are computed during parsing, so the heading's anchor does not change.
    private static void AppendConsoleLink(HeadingBlock heading, string path)
    {
        heading.Inline ??= new ContainerInline();
        heading.Inline.AppendChild(new LiteralInline(" "));
        var link = new LinkInline("/api.html#" + path, "Open " + path + " in the console");
        link.GetAttributes().AddClass("console");
        link.AppendChild(new LiteralInline("try " + path));
        heading.Inline.AppendChild(link);
    }

    private static string InlineText(ContainerInline? inline)
    {
        if (inline is null) return "";
        var sb = new StringBuilder();
        foreach (var child in inline.Descendants())
        {
            switch (child)
            {
                case LiteralInline literal: sb.Append(literal.Content.ToString()); break;
                case CodeInline code: sb.Append(code.Content); break;
            }
        }
        return sb.ToString().Trim();
    }

    // A path in a heading: "/account/get", "/image/PREFIX/ID/TYPE", "/data/columns/TABLE".
    [GeneratedRegex(@"(?<![\w/])/[a-z][A-Za-z0-9_\-]*(?:/[A-Za-z0-9_\-]+)*")]
    private static partial Regex PathPattern();
}
