using System.Diagnostics;
using Backend.Configuration;
using Backend.Data;
using Backend.DynamoDb;
using Microsoft.Extensions.Logging.Abstractions;
using Backend.Hosting;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>A dead endpoint is a 503, quickly, for reads, writes and start-up.</summary>
public sealed class DynamoDbFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Db Open(string url, out IDbDriver driver)
    {
        var config = BackendConfig.Load(["-log", "none", "-db-connect-timeout", "300"], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        driver = new DynamoDbDriverFactory().Create(BackendApplicationBuilder.PoolSettings(config, "dynamodb", url), NullLoggerFactory.Instance);
        var tables = new TableRegistry();
        DynamoDbTestBase.Items(tables, "");
        var pools = new DbPools("dynamodb");
        pools.Add(driver);
        return new Db(tables, pools);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1?region=us-east-1&key=k&secret=s")]
    [InlineData("http://10.255.255.1:4567?region=us-east-1&key=k&secret=s")]
    public async Task A_dead_endpoint_is_503_within_seconds(string url)
    {
        var db = Open(url, out var driver);
        await using var _ = driver;
        foreach (var call in new Func<Task>[]
        {
            () => db.GetAsync("items", new { id = "a" }, Ct).AsTask(),
            () => db.PutAsync("items", new { id = "a" }, Ct),
            () => db.SelectAsync("items", null, Ct),
            () => db.InitAsync(Ct),
        })
        {
            var watch = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<DbException>(call);
            watch.Stop();
            Assert.Equal(503, ex.Status);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
            TestContext.Current.SendDiagnosticMessage($"{url}: 503 in {watch.ElapsedMilliseconds} ms: {ex.Message}");
        }
    }
}

/// <summary>A server that accepts connections and never answers: each attempt times out (5 x the connect timeout), then 503.</summary>
public sealed class DynamoDbHungServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_that_never_answers_is_503_after_the_attempts_time_out()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var held = new System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true) held.Add(await listener.AcceptTcpClientAsync());
        }, Ct);
        var config = BackendConfig.Load(["-log", "none", "-db-connect-timeout", "200"], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        await using var driver = new DynamoDbDriverFactory().Create(BackendApplicationBuilder.PoolSettings(config, "dynamodb", $"http://127.0.0.1:{port}?region=us-east-1&key=k&secret=s"), NullLoggerFactory.Instance);
        var tables = new TableRegistry();
        DynamoDbTestBase.Items(tables, "");
        var pools = new DbPools("dynamodb");
        pools.Add(driver);
        var db = new Db(tables, pools);
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DbException>(() => db.PutAsync("items", new { id = "a" }, Ct));
        Assert.Equal(503, ex.Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        TestContext.Current.SendDiagnosticMessage($"hung server: 503 in {watch.ElapsedMilliseconds} ms after {held.Count} connections: {ex.Message}");
        foreach (var c in held) c.Dispose();
    }
}
