using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Backend.Api;
using Backend.Api.Accounts;
using Backend.Data;
using Backend.DynamoDb;
using Backend.Hosting;
using Backend.MySql;
using Backend.Postgres;
using Backend.Redis;
using Microsoft.Extensions.DependencyInjection;
using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>An app (in-process, on the pool of this run) that extends the connection and counter tables: its own
/// autoincr counters (<c>invite0</c>/<c>invite1</c>), a counter column on the connection tables, app columns
/// (plain, admin-only, hidden), a public and a private counter of its own. Also records the events published.</summary>
public sealed class ConnectionAppFixture : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "bkcs-conn-app-" + Guid.NewGuid().ToString("N"));
    private BackendApplication? _app;

    /// <summary>Base address.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1");

    /// <summary>The running app.</summary>
    public BackendApplication App => _app ?? throw new InvalidOperationException("not started");

    /// <summary>An admin account.</summary>
    public TestAccount Admin { get; private set; } = new("", "", "");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-log", "warn", .. BackendServer.PoolArgs])
            .AddPostgres().AddMySql().AddDynamoDb().AddRedis().AddLmdb();
        foreach (var table in new[] { "bk_connection", "bk_reference" })
            builder.Tables.Add(table, t => t
                .Column("score", ColumnType.Counter)
                .Column("note", maxLength: 100)
                .Column("level", admin: true)
                .Column("hush", hidden: true));
        builder.Tables.Add("bk_counter", t => t
            .Column("invite0", ColumnType.Counter, autoincr: true)
            .Column("invite1", ColumnType.Counter, pub: true, autoincr: true)
            .Column("badge", ColumnType.Counter, pub: true)
            .Column("karma", ColumnType.Counter));
        var app = builder.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        _app = app;
        var login = Accounts.UniqueLogin("admin");
        var row = await AccountWriter.AddAsync(app.Db, new Dictionary<string, string> { ["login"] = login, ["secret"] = "admin-secret", ["name"] = "Admin", ["type"] = "admin" }, asAdmin: true, TimeProvider.System, CancellationToken.None);
        Admin = new TestAccount(login, "admin-secret", row.GetString("id")!);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    /// <summary>A signing client.</summary>
    public BackendClient Client(TestAccount? account = null) => new(BaseAddress, account);

    /// <summary>A new account.</summary>
    public async Task<TestAccount> AddAccount()
    {
        using var client = Client();
        var login = Accounts.UniqueLogin();
        var secret = Accounts.NewSecret();
        var r = await client.PostForm("/account/add", ("login", login), ("secret", secret), ("name", "App User"));
        ApiAssert.Ok(r);
        return new TestAccount(login, secret, r.Str("id")!);
    }

    /// <summary>Collects the events published to an account until disposed.</summary>
    public async Task<(ConcurrentQueue<JsonObject> Events, IAsyncDisposable Handle)> Listen(string accountId)
    {
        var events = new ConcurrentQueue<JsonObject>();
        var handle = await App.Services.GetRequiredService<AccountEvents>().Subscribe(accountId, text => events.Enqueue((JsonObject)JsonNode.Parse(text)!));
        return (events, handle);
    }
}

/// <summary>Connections and counters on tables an app extended (see <see cref="ConnectionAppFixture"/>).</summary>
public sealed class ConnectionAppTablesTests(ConnectionAppFixture fixture) : IClassFixture<ConnectionAppFixture>
{
    [Fact]
    public async Task An_app_counter_is_bumped_by_its_type_and_the_target_is_told()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var (events, handle) = await fixture.Listen(b.Id);
        await using (handle)
        {
            await Connect(ca, b.Id, "invite");
            ApiAssert.Ok(await ca.Get("/connection/put", ("id", b.Id), ("type", "invite"), ("note", "again")));
            await Connect(ca, b.Id, "like", ("_publish", "0"));
            ApiAssert.Ok(await ca.Get("/counter/incr", ("id", b.Id), ("badge", "2")));
            Assert.Equal(1, Counter(await Counters(ca), "invite0"));
            Assert.Equal(1, Counter(await Counters(cb), "invite1"));
            Assert.Equal(1, Counter(await Counters(ca, b.Id), "invite1"));

            // One event for the new connection (not for the replacing put, none with _publish=0), one for the counter.
            var list = events.ToList();
            Assert.Equal(2, list.Count);
            Assert.Equal("/connection/add", list[0]["path"]!.GetValue<string>());
            Assert.Equal("invite", list[0]["type"]!.GetValue<string>());
            Assert.Equal(a.Id, list[0]["id"]!.GetValue<string>());
            Assert.Equal("/counter/incr", list[1]["path"]!.GetValue<string>());
            Assert.Equal("badge", list[1]["type"]!.GetValue<string>());
            Assert.Equal(a.Id, list[1]["id"]!.GetValue<string>());
        }
        ApiAssert.Ok(await ca.Get("/connection/del", ("type", "invite")));
        Assert.Equal(0, Counter(await Counters(ca), "invite0"));
        Assert.Equal(0, Counter(await Counters(cb), "invite1"));
        Assert.Equal(2, Counter(await Counters(cb), "badge"));
    }

    [Fact]
    public async Task Connection_incr_adds_to_the_connection_and_its_reference()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Error(await ca.Get("/connection/incr", ("id", b.Id), ("type", "like"), ("score", "1")), 404);
        await Connect(ca, b.Id, "like");
        var r = await ca.Get("/connection/incr", ("id", b.Id), ("type", "like"), ("score", "5"), ("note", "ignored"));
        ApiAssert.Ok(r);
        Assert.Equal(5, r.Object["score"]!.GetValue<long>());
        Assert.Null(r.Object["note"]);
        r = await ca.PostForm("/connection/incr", ("id", b.Id), ("type", "like"), ("score", "-2"));
        Assert.Equal(3, r.Object["score"]!.GetValue<long>());
        Assert.Equal(3, (await cb.Get("/reference/get", ("id", a.Id), ("type", "like"))).Object["score"]!.GetValue<long>());
        ApiAssert.Error(await ca.Get("/connection/incr", ("id", b.Id), ("type", "like"), ("score", "x")), 400);
        ApiAssert.Error(await ca.Get("/connection/incr", ("id", b.Id), ("type", "like"), ("note", "1")), 400);
        Assert.Equal(3, (await ca.Get("/connection/get", ("id", b.Id), ("type", "like"))).Object["score"]!.GetValue<long>());
        // Without a reference, incr changes the connection only and creates nothing.
        await Connect(ca, b.Id, "follow", ("_noreference", "1"));
        ApiAssert.Ok(await ca.Get("/connection/incr", ("id", b.Id), ("type", "follow"), ("score", "1")));
        ApiAssert.Error(await cb.Get("/reference/get", ("id", a.Id), ("type", "follow")), 404);
    }

    [Fact]
    public async Task Connection_incr_racing_a_delete_never_brings_the_connection_back()
    {
        // Whichever of the two calls runs first, the connection and its reference end deleted.
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var types = Enumerable.Range(0, 12).Select(i => $"race{i}").ToList();
        foreach (var type in types) await Connect(ca, b.Id, type, ("score", "1"));
        var replies = await Task.WhenAll(types.SelectMany(type => new[]
        {
            ca.Get("/connection/incr", ("id", b.Id), ("type", type), ("score", "5")),
            ca.Get("/connection/del", ("id", b.Id), ("type", type)),
        }));
        Assert.All(replies, r => Assert.True(r.Status is 200 or 404, r.ToString()));
        foreach (var type in types)
        {
            ApiAssert.Error(await ca.Get("/connection/get", ("id", b.Id), ("type", type)), 404);
            ApiAssert.Error(await cb.Get("/reference/get", ("id", a.Id), ("type", type)), 404);
        }
    }

    [Fact]
    public async Task App_columns_can_be_admin_only_and_hidden()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var admin = fixture.Client(fixture.Admin);
        var r = await Connect(ca, b.Id, "like", ("note", "hi"), ("level", "gold"), ("hush", "quiet"), ("score", "7"));
        Assert.Equal("hi", r["note"]!.GetValue<string>());
        Assert.Null(r["level"]);
        Assert.Null(r["hush"]);
        r = await Connect(admin, b.Id, "like", ("note", "boss"), ("level", "gold"));
        Assert.Equal("gold", r["level"]!.GetValue<string>());
        using var cb = fixture.Client(b);
        var refs = await cb.Get("/reference/select", ("_details", "1"));
        Assert.Equal(2, refs.Data.Count);
        Assert.DoesNotContain("quiet", refs.Body, StringComparison.Ordinal);
        ApiAssert.Error(await ca.Get("/connection/add", ("id", b.Id), ("type", "follow"), ("note", new string('n', 101))), 400);
        ApiAssert.Error(await ca.Get("/connection/add", ("id", b.Id), ("type", "follow"), ("score", "many")), 400);
        Assert.Single(await All(ca, "/connection/select"));
    }

    [Fact]
    public async Task Others_may_bump_the_public_app_counter_columns()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.Get("/counter/incr", ("karma", "40"), ("invite0", "1")));
        var seen = await Counters(cb, a.Id);
        Assert.Equal(["badge", "follow1", "id", "invite1", "like1", "ping"], Accounts.Keys(seen));
        // Private and autoincr counters of another account are ignored; with nothing else to change: 400.
        ApiAssert.Error(await cb.Get("/counter/incr", ("id", a.Id), ("karma", "1")), 400);
        ApiAssert.Error(await cb.Get("/counter/incr", ("id", a.Id), ("invite1", "1")), 400);
        ApiAssert.Ok(await cb.Get("/counter/incr", ("id", a.Id), ("badge", "1")));
        var mine = await Counters(ca);
        Assert.Equal(40, Counter(mine, "karma"));
        Assert.Equal(1, Counter(mine, "badge"));
        Assert.Equal(0, Counter(mine, "invite1"));
    }
}
