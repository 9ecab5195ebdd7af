using System.Net;
using System.Net.Sockets;
using Backend.Data;
using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Hosting;

/// <summary>The open pipeline (issue 10, point 3): the app's middleware runs before the access gate, tables are
/// created however the host starts, <see cref="BackendApplication.RunAsync"/> stops on its token, and an app's own
/// registrations win over the core's.</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("bkcs-pipeline-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private BackendApplicationBuilder Builder(int port) =>
        BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    [Fact]
    public async Task A_cors_preflight_is_answered_before_the_signature_check()
    {
        var port = FreePort();
        var builder = Builder(port);
        builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins("https://app.example").AllowAnyHeader().AllowAnyMethod()));
        await using var app = builder.Build();
        app.Web.UseCors();
        app.UseBackend();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/account/get");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "bk-signature");
        using var answer = await http.SendAsync(preflight, Ct);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // An unsigned request still meets the gate, with the CORS header on its error.
        using var unsigned = new HttpRequestMessage(HttpMethod.Get, "/account/get");
        unsigned.Headers.Add("Origin", "https://app.example");
        using var refused = await http.SendAsync(unsigned, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("no login provided", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("https://app.example", refused.Headers.GetValues("Access-Control-Allow-Origin").Single());
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task Without_the_apps_middleware_a_preflight_meets_the_gate()
    {
        var port = FreePort();
        await using var app = Builder(port).Build();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/account/get");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var answer = await http.SendAsync(preflight, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task Tables_are_created_when_the_host_is_started_directly()
    {
        var port = FreePort();
        var builder = Builder(port);
        builder.Tables.Add("pipeline_probe", t => t.Column("id", primary: true).Column("v"));
        await using var app = builder.Build();
        app.UseBackend();
        await app.Web.StartAsync(Ct); // not BackendApplication.StartAsync: the hosted service creates the tables
        await app.Db.PutAsync("pipeline_probe", new { id = "1", v = "x" }, Ct);
        Assert.Equal("x", (await app.Db.GetAsync("pipeline_probe", new { id = "1" }, Ct))?.GetString("v"));
        await app.Web.StopAsync(Ct);
    }

    [Fact]
    public async Task RunAsync_stops_when_its_token_is_cancelled()
    {
        var port = FreePort();
        await using var app = Builder(port).Build();
        using var stop = new CancellationTokenSource();
        var run = app.RunAsync(stop.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                // Any answer means it listens (/ping needs a signature: 400).
                using var ping = await http.GetAsync(new Uri("/ping", UriKind.Relative), Ct);
                break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(50, Ct);
        }
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(run.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("/ping", UriKind.Relative), Ct));
    }

    [Fact]
    public async Task An_apps_time_provider_wins_and_the_facade_stamps_rows_with_it()
    {
        var port = FreePort();
        var builder = Builder(port);
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Tables.Add("stamped", t => t.Column("id", primary: true).Column("mtime", ColumnType.BigInt, now: true));
        await using var app = builder.Build();
        Assert.Same(time, app.Services.GetRequiredService<TimeProvider>());
        await app.StartAsync(Ct);
        await app.Db.PutAsync("stamped", new { id = "1" }, Ct);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), (await app.Db.GetAsync("stamped", new { id = "1" }, Ct))?.GetLong("mtime"));
        time.Advance(TimeSpan.FromHours(1));
        await app.Db.PutAsync("stamped", new { id = "1" }, Ct);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), (await app.Db.GetAsync("stamped", new { id = "1" }, Ct))?.GetLong("mtime"));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task The_api_modules_read_the_apps_clock()
    {
        var port = FreePort();
        var builder = Builder(port);
        var time = new FakeTimeProvider(new DateTimeOffset(2032, 1, 2, 3, 4, 5, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(time);
        await using var app = builder.Build();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        // /account/add is open; the account's ctime is set by the accounts module, not by the facade.
        using var form = new FormUrlEncodedContent([new("login", $"clock-{Guid.NewGuid():N}"), new("secret", "s1"), new("name", "Clock")]);
        using var added = await http.PostAsync(new Uri("/account/add", UriKind.Relative), form, Ct);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using var reply = System.Text.Json.JsonDocument.Parse(await added.Content.ReadAsStringAsync(Ct));
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), reply.RootElement.GetProperty("ctime").GetInt64());
        var id = reply.RootElement.GetProperty("id").GetString();
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), (await app.Db.GetAsync("bk_account", new { id }, Ct))?.GetLong("ctime"));
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task The_api_is_served_through_WebApplicationFactory()
    {
        await using var factory = new WebApplicationFactory<AlbumApp>().WithWebHostBuilder(b => b.UseSetting("home", _home));
        using var client = factory.CreateClient();
        using var unsigned = await client.GetAsync(new Uri("/account/get", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unsigned.StatusCode);
        // /account/add is open: it writes to the tables the hosted service created; the same login again is a 409.
        var login = $"wf-{Guid.NewGuid():N}";
        using var form = new FormUrlEncodedContent([new("login", login), new("secret", "s1"), new("name", "W F")]);
        using var added = await client.PostAsync(new Uri("/account/add", UriKind.Relative), form, Ct);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using var again = new FormUrlEncodedContent([new("login", login), new("secret", "s2"), new("name", "W F")]);
        using var conflict = await client.PostAsync(new Uri("/account/add", UriKind.Relative), again, Ct);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.True(File.Exists(Path.Combine(_home, "var", "backend.db")));
    }
}
