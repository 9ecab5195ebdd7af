using System.Xml.Linq;
using Backend.Web.Console;

namespace Backend.Tests.Web;

/// <summary>The parsing behind /doc.html and the console's endpoint list, without a browser.</summary>
public sealed class ApiDocTests
{
    private const string Sample = """
        # The API

        Intro with <script>alert(1)</script> raw HTML.

        ### Before any section

        ## Accounts

        ### /account/add
        Adds.

        ### /connection/add, /connection/put
        Two paths in one heading.

        ## System API: the cache (/system/cache/get, /system/cache/put)

        ## /ping

        ### Not an endpoint: a/b and http://x/y
        """;

    [Fact]
    public void Every_path_named_in_a_heading_is_an_endpoint_grouped_by_its_section()
    {
        var doc = ApiDoc.Parse(Sample);
        Assert.Equal("The API", doc.Title);
        Assert.Equal(
            [("/account/add", "Accounts"), ("/connection/add", "Accounts"), ("/connection/put", "Accounts"),
             ("/system/cache/get", "System API: the cache (/system/cache/get, /system/cache/put)"),
             ("/system/cache/put", "System API: the cache (/system/cache/get, /system/cache/put)"), ("/ping", "/ping")],
            doc.Endpoints.Select(e => (e.Path, e.Section)));
        Assert.Equal("connectionadd-connectionput", doc.Endpoints[1].Anchor);
    }

    [Fact]
    public void The_toc_nests_subsections_and_is_well_formed()
    {
        var doc = ApiDoc.Parse(Sample);
        var toc = XElement.Parse(doc.TocHtml);
        Assert.Equal(
            ["Before any section", "Accounts", "System API: the cache (/system/cache/get, /system/cache/put)", "/ping"],
            toc.Elements("li").Select(li => li.Element("a")!.Value));
        var accounts = toc.Elements("li").Single(li => li.Element("a")!.Value == "Accounts");
        Assert.Equal(["#accountadd", "#connectionadd-connectionput"], accounts.Element("ul")!.Elements("li").Select(li => li.Element("a")!.Attribute("href")!.Value));
        var ping = toc.Elements("li").Single(li => li.Element("a")!.Value == "/ping");
        Assert.Equal(["#not-an-endpoint-ab-and-httpxy"], ping.Element("ul")!.Elements("li").Select(li => li.Element("a")!.Attribute("href")!.Value));
    }

    [Fact]
    public void Headings_link_each_endpoint_to_the_console_and_raw_html_stays_text()
    {
        var html = ApiDoc.Parse(Sample).BodyHtml;
        Assert.Contains("<a href=\"/api.html#/connection/put\" class=\"console\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/api.html#/system/cache/get\" class=\"console\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("/api.html#/y", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_docs_are_docs_api_md_itself()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        Assert.Equal(File.ReadAllText(Path.Combine(dir.FullName, "docs", "api.md")), ApiDoc.ReadMarkdown());
        Assert.Contains(ConsolePages.ApiDoc.Endpoints, e => e.Path == "/account/get");
    }
}
