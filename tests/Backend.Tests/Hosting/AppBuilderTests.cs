using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Hosting;
using Backend.Http;
using Backend.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backend.Tests.Hosting;

/// <summary>An app written against the C# API (tables, endpoints, the four hooks), served in-process on a real port.</summary>
public sealed class AppBuilderTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "bkcs-app-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private BackendApplication? _app;
    private string _base = "";

    public async ValueTask InitializeAsync()
    {
        var port = FreePort();
        _base = $"http://127.0.0.1:{port}";
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-log", "warn"]);
        builder.Tables.Add("album", t => t
            .Column("id", primary: true, pub: true)
            .Column("name", pub: true)
            .Column("owner")
            .Column("mtime", ColumnType.BigInt, now: true));
        builder.Tables.Add("bk_account", t => t.Column("gender", pub: true).Column("birthday"));
        var app = builder.Build();
        app.MapGet("/test/add", async (HttpContext ctx, Db db, CancellationToken ct) =>
        {
            var api = ctx.Api();
            await db.PutAsync("album", new { id = api.Require("id"), name = api.Require("name"), owner = api.RequireAccountId() }, ct);
            return await db.GetAsync("album", new { id = api.Require("id") }, ct);
        });
        app.MapGet("/test/{id}", async (string id, Db db, CancellationToken ct) =>
            await db.GetAsync("album", new { id }, ct) ?? throw ApiException.NotFound("no such album"));
        app.Api.AccessCheck("GET", "^/open/", (ctx, status) =>
            ValueTask.FromResult<ApiStatus?>(ctx.Request.Query["key"] == "good" ? ApiStatus.Ok : new ApiStatus(403, "bad key")));
        app.MapGet("/open/hello", () => Results.Json(new { hello = "world" }));
        app.Api.PreProcess("", "^/test/add$", (ctx, status) =>
            ValueTask.FromResult<ApiStatus?>(status is { IsOk: true } && ctx.Request.Query["name"] == "forbidden" ? new ApiStatus(403, "name not allowed") : null));
        app.Api.PostProcess("", "^/account/get$", (ctx, data) =>
        {
            if (data is DbRow row) row["greeting"] = "hello " + row.GetString("alias");
            return ValueTask.FromResult(data);
        });
        app.Db.SetProcessRow("bk_account", (row, options, table) =>
        {
            if (row.GetString("gender") is { } g) row["gender_label"] = g == "f" ? "female" : "male";
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task A_custom_tables_endpoints_run_behind_the_signature()
    {
        await Add("alb1");
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(new Uri(_base + "/test/add?id=1&name=x"), Ct)).StatusCode);
        var (status, body) = await Signed("alb1", "/test/add?id=1&name=First");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("First", body!["name"]!.GetValue<string>());
        Assert.True(body["mtime"]!.GetValue<long>() > 0);
        (status, body) = await Signed("alb1", "/test/1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", body!["id"]!.GetValue<string>());
        (status, body) = await Signed("alb1", "/test/2");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(404, body!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_access_check_decides_before_the_signature()
    {
        var ok = await _http.GetAsync(new Uri(_base + "/open/hello?key=good"), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var denied = await _http.GetAsync(new Uri(_base + "/open/hello?key=bad"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("bad key", await denied.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pre_process_step_can_refuse_a_signed_request()
    {
        await Add("alb2");
        var (status, body) = await Signed("alb2", "/test/add?id=9&name=forbidden");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("name not allowed", body!["message"]!.GetValue<string>());
        (status, _) = await Signed("alb2", "/test/9");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Post_process_and_process_row_shape_account_replies_and_extended_columns_work()
    {
        await Add("alb3", "&gender=f&birthday=2000-01-01");
        var (status, body) = await Signed("alb3", "/account/get");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hello alb3", body!["greeting"]!.GetValue<string>());
        Assert.Equal("female", body["gender_label"]!.GetValue<string>());
        Assert.Equal("2000-01-01", body["birthday"]!.GetValue<string>());

        await Add("alb4");
        var id = body["id"]!.GetValue<string>();
        var (_, other) = await Signed("alb4", "/account/get?id=" + id);
        var row = other!.AsArray().Single()!;
        Assert.Equal("f", row["gender"]!.GetValue<string>());          // made public by the app
        Assert.Null(row["birthday"]);                                    // private
        Assert.Null(row["login"]);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task Add(string login, string extra = "")
    {
        var r = await _http.GetAsync(new Uri($"{_base}/account/add?login={login}&secret=s-{login}&name={login}{extra}"), Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    private async Task<(HttpStatusCode, JsonNode?)> Signed(string login, string pathAndQuery)
    {
        var uri = new Uri(_base + pathAndQuery);
        var request = SigningRequest.From("GET", uri.Authority, uri.AbsolutePath, uri.Query.TrimStart('?'), null, null, "");
        using var msg = new HttpRequestMessage(HttpMethod.Get, uri);
        msg.Headers.Add("bk-signature", RequestSignature.CreateHeader(1, login, "s-" + login, request, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000));
        using var response = await _http.SendAsync(msg, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
