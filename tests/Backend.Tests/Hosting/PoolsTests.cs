using Backend.Configuration;
using Backend.Data;
using Backend.Hosting;
using Backend.Tests.Conformance;

namespace Backend.Tests.Hosting;

/// <summary>Several pools at once: the default (SQLite), a table routed to Redis by configuration, and a pool chosen
/// per call; an unknown default pool stops start-up.</summary>
public sealed class PoolsTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("bkcs-pools-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_table_routed_to_another_pool_is_stored_there_and_a_call_can_pick_a_pool()
    {
        var redis = ServerUrls.Find("redis");
        if (redis is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") throw new InvalidOperationException("no redis server: scripts/servers start redis");
            Assert.Skip("no redis server: scripts/servers start redis");
        }
        var table = "pools_" + Guid.NewGuid().ToString("N")[..8];
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-db-redis-pool", redis, "-db-redis-pool-tables", table]).AddRedis();
        builder.Tables.Add(table, t => t.Column("id", primary: true).Column("name"));
        await using var app = builder.Build();
        await app.Db.InitAsync(Ct);

        await app.Db.PutAsync(table, new { id = "1", name = "in redis" }, Ct);
        Assert.Equal("in redis", (await app.Db.GetAsync(table, new { id = "1" }, Ct))?["name"]);
        Assert.Equal("in redis", (await app.Db.GetAsync(table, new { id = "1" }, new DbOptions { Pool = "redis" }, Ct))?["name"]);
        Assert.Null(await app.Db.GetAsync(table, new { id = "1" }, new DbOptions { Pool = "sqlite" }, Ct));

        await app.Db.PutAsync(table, new { id = "2", name = "in sqlite" }, new DbOptions { Pool = "sqlite" }, Ct);
        Assert.Null(await app.Db.GetAsync(table, new { id = "2" }, Ct));
        Assert.Equal("in sqlite", (await app.Db.GetAsync(table, new { id = "2" }, new DbOptions { Pool = "sqlite" }, Ct))?["name"]);

        // the accounts tables stay in the default pool
        Assert.Equal("sqlite", app.Db.Pools.Resolve(null, "bk_account").Name);
        Assert.Equal("redis", app.Db.Pools.Resolve(null, table).Name);
        var ex = await Assert.ThrowsAsync<DbException>(() => app.Db.GetAsync(table, new { id = "1" }, new DbOptions { Pool = "nosuch" }, Ct).AsTask());
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public void An_unconfigured_default_pool_stops_start_up_with_one_line()
    {
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-db-pool", "pgsql"]);
        var ex = Assert.Throws<ConfigException>(() => builder.Build());
        Assert.Contains("-db-pool", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_of_a_driver_that_is_not_registered_stops_start_up()
    {
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-db-redis-pool", "redis://127.0.0.1:1"]);
        var ex = Assert.Throws<ConfigException>(() => builder.Build());
        Assert.Contains("redis", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typed_select_maps_rows_to_records()
    {
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none"]);
        builder.Tables.Add<Album>();
        await using var app = builder.Build();
        await app.Db.InitAsync(Ct);
        for (var i = 0; i < 3; i++) await app.Db.PutAsync("album", new Album($"a{i}", $"Album {i}", i), Ct);
        var page = await app.Db.SelectAsync<Album>("album", null, new DbOptions { Count = 2 }, Ct);
        Assert.Equal(["a0", "a1"], page.Rows.Select(a => a.Id));
        Assert.Equal("Album 1", page.Rows[1].Name);
        Assert.NotEqual("", page.NextToken);
        var rest = await app.Db.SelectAsync<Album>("album", null, new DbOptions { Count = 2, Start = page.NextToken }, Ct);
        Assert.Equal([new Album("a2", "Album 2", 2)], rest.Rows);
    }

    internal sealed record Album([property: Primary] string Id, string Name, long Rating);
}
