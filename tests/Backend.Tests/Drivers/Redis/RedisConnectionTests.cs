using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backend.Configuration;
using Backend.Data;
using Backend.Hosting;
using Backend.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Pool URLs, the builder extension, and a server that is down or goes away: 503 quickly, then recovery.</summary>
public sealed class RedisConnectionTests(RedisTargets targets) : IClassFixture<RedisTargets>
{
    [Theory]
    [InlineData("redis://127.0.0.1:6380", "127.0.0.1:6380", 0, null, null, false)]
    [InlineData("redis://localhost", "Unspecified/localhost:6379", 0, null, null, false)]
    [InlineData("redis://:s3cret@10.0.0.1:7000/3", "10.0.0.1:7000", 3, null, "s3cret", false)]
    [InlineData("redis://app:p%40ss%3Aword@h:1/15", "Unspecified/h:1", 15, "app", "p@ss:word", false)]
    [InlineData("rediss://cache.example:6390/1", "Unspecified/cache.example:6390", 1, null, null, true)]
    [InlineData("127.0.0.1:6381", "127.0.0.1:6381", 0, null, null, false)]
    public void Pool_urls_are_parsed(string url, string endpoint, int db, string? user, string? password, bool ssl)
    {
        var o = RedisDriverFactory.Parse(url, 1234);
        Assert.Equal(endpoint, Assert.Single(o.EndPoints).ToString());
        Assert.Equal(db, o.DefaultDatabase);
        Assert.Equal(user, o.User);
        Assert.Equal(password, o.Password);
        Assert.Equal(ssl, o.Ssl);
        Assert.False(o.AbortOnConnectFail);
        Assert.Equal(1234, o.ConnectTimeout);
        Assert.Equal(1234, o.AsyncTimeout);
        Assert.Equal(1234, o.SyncTimeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("redis://127.0.0.1:6379/abc")]
    [InlineData("redis://:secret@127.0.0.1:6379/x")]
    public void Malformed_urls_are_config_errors_that_hide_the_password(string url)
    {
        var ex = Assert.Throws<ConfigException>(() => RedisDriverFactory.Parse(url, 1000));
        Assert.Contains("-db-redis-pool", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedis_makes_the_redis_pool_from_the_parameters()
    {
        targets.Redis.RequireServer();
        var home = Path.Combine(Path.GetTempPath(), "bkcs-redis-app-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", "-db-redis-pool", targets.Redis.Url!, "-db-pool", "redis"]).AddRedis();
            var table = "app" + Guid.NewGuid().ToString("N")[..8];
            builder.Tables.Add(table, t => t.Column("id", primary: true).Column("v", index: 1));
            await using var app = builder.Build();
            Assert.IsType<RedisDriver>(app.Db.Pools.Resolve(null, table));
            await app.Db.InitAsync(Ct);
            await app.Db.PutAsync(table, Row(("id", "a"), ("v", "x")), Ct);
            Assert.Equal("x", (await app.Db.GetAsync(table, Row(("id", "a")), Ct))?["v"]);
            await app.Db.DelAsync(table, Row(("id", "a")), Ct);
        }
        finally
        {
            if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<Db> DbOn(int port, string table)
    {
        var url = $"redis://127.0.0.1:{port}";
        var config = BackendConfig.Load(["-log", "none", "-db-redis-pool", url, "-db-connect-timeout", "500"], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        var tables = new TableRegistry();
        tables.Add(table, t => t.Column("id", primary: true).Column("v", index: 1));
        var pools = new DbPools("redis");
        pools.Add(new RedisDriverFactory().Create(BackendApplicationBuilder.PoolSettings(config, "redis", url), NullLoggerFactory.Instance));
        await Task.CompletedTask;
        return new Db(tables, pools);
    }

    private static async Task<int> Status(Func<Task> call)
    {
        try
        {
            await call();
            return 200;
        }
        catch (DbException ex)
        {
            return ex.Status;
        }
    }

    [Fact]
    public async Task A_dead_server_is_a_503_quickly_for_every_call()
    {
        var db = await DbOn(FreePort(), "dead");
        await using var pools = db.Pools;
        var clock = Stopwatch.StartNew();
        Assert.Equal(503, await Status(() => db.InitAsync(Ct)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"first call took {clock.Elapsed}");
        foreach (var call in new Func<Task>[]
        {
            () => db.GetAsync("dead", Row(("id", "a")), Ct).AsTask(),
            () => db.PutAsync("dead", Row(("id", "a")), Ct),
            () => db.SelectAsync("dead", Row(("v", "x")), Ct),
            () => db.IncrAsync("dead", Row(("id", "a")), Ct),
        })
        {
            clock.Restart();
            Assert.Equal(503, await Status(call));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"a later call took {clock.Elapsed}");
        }
    }

    [Fact]
    public async Task The_pool_recovers_when_the_server_comes_back()
    {
        var server = FindRedisServer();
        if (server is null)
        {
            Assert.Skip("redis-server is not installed");
            return;
        }
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("bkcs-redis-").FullName;
        var db = await DbOn(port, "back");
        await using var pools = db.Pools;
        Process? process = null;
        try
        {
            Assert.Equal(503, await Status(() => db.PutAsync("back", Row(("id", "a"), ("v", "1")), Ct)));

            process = Start(server, port, dir);
            Assert.True(await Eventually(() => db.PutAsync("back", Row(("id", "a"), ("v", "1")), Ct)), "no recovery after the server started");
            Assert.Equal("1", (await db.GetAsync("back", Row(("id", "a")), Ct))?["v"]);

            Stop(process);
            var clock = Stopwatch.StartNew();
            Assert.Equal(503, await Status(() => db.PutAsync("back", Row(("id", "b")), Ct)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");

            process = Start(server, port, dir);
            Assert.True(await Eventually(() => db.PutAsync("back", Row(("id", "c"), ("v", "3")), Ct)), "no recovery after a restart");
            Assert.Equal(["c"], (await db.SelectAsync("back", Row(("v", "3")), Ct)).Rows.Select(r => r["id"]));
        }
        finally
        {
            if (process is not null) Stop(process);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<bool> Eventually(Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (await Status(call) == 200) return true;
            await Task.Delay(200, Ct);
        }
        return false;
    }

    private static string? FindRedisServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);

    private static Process Start(string server, int port, string dir)
    {
        var info = new ProcessStartInfo(server) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(a);
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Stop(Process p)
    {
        if (!p.HasExited)
        {
            p.Kill();
            p.WaitForExit(5000);
        }
        p.Dispose();
    }
}
