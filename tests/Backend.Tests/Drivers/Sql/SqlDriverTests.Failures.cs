using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backend.Data;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Failures: a dead or hanging server is a fast 503, an exhausted pool waits at most the connect timeout,
/// broken connections are replaced, and server errors are 500 with the server's message inside.</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    private const int ConnectTimeoutMs = 1000;

    private async Task AssertUnavailableWithin(Func<Task> call, int maxMs)
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DbException>(call);
        watch.Stop();
        Assert.Equal(503, ex.Status);
        Assert.Equal("database unavailable", ex.Message);
        Assert.True(watch.ElapsedMilliseconds < maxMs, $"{Target.Pool}: took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_closed_port_is_503_at_once_for_every_call()
    {
        RequireNetworkServer();
        // no server needed: nothing listens on port 1
        await using var driver = CreateDriver(UrlAt(1), "-db-connect-timeout", ConnectTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var db = DbOver(driver, All, "dead_");
        await AssertUnavailableWithin(() => db.InitAsync(Ct), ConnectTimeoutMs + 1000);
        await AssertUnavailableWithin(() => db.PutAsync("dead_items", Row(("id", "a")), Ct), ConnectTimeoutMs + 1000);
        // reads are retried twice by the facade, still well within the budget
        await AssertUnavailableWithin(() => db.GetAsync("dead_items", Row(("id", "a")), Ct).AsTask(), ConnectTimeoutMs + 1000);
        await AssertUnavailableWithin(() => db.BatchAsync([new DbBatchItem(DbOperation.Add, "dead_items", Row(("id", "a")))], Ct), ConnectTimeoutMs + 1000);
    }

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_is_503_within_the_connect_timeout()
    {
        RequireNetworkServer();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<TcpClient>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true) held.Add(await listener.AcceptTcpClientAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
                // test over
            }
        }, Ct);
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var driver = CreateDriver(UrlAt(port), "-db-connect-timeout", ConnectTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var db = DbOver(driver, All, "hang_");
            await AssertUnavailableWithin(() => db.PutAsync("hang_items", Row(("id", "a")), Ct), ConnectTimeoutMs + 1000);
            await AssertUnavailableWithin(() => db.InitAsync(Ct), ConnectTimeoutMs + 1000);
        }
        finally
        {
            await stop.CancelAsync();
            await accepting;
            foreach (var c in held) c.Dispose();
        }
    }

    [Fact]
    public async Task A_call_waiting_for_a_busy_pool_gives_up_with_503_after_the_connect_timeout()
    {
        RequireNetworkServer();
        Target.RequireServer();
        var prefix = $"busy{Guid.NewGuid().ToString("N")[..8]}_";
        await using var t = await Target.OpenWithPrefixAsync(All, prefix,
            CreateDriver(Target.Url!, "-db-max-connections", "1", "-db-connect-timeout", ConnectTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var sleeping = t.Db.QueryAsync(t.T("items"), new DbNativeQuery(SleepSql, new Dictionary<string, object?> { ["s"] = 3L }), Ct);
        await Task.Delay(300, Ct);
        await AssertUnavailableWithin(() => t.Db.PutAsync(t.T("items"), Row(("id", "a")), Ct), ConnectTimeoutMs + 1000);
        await sleeping;
        Assert.Equal(1, (await t.Db.PutAsync(t.T("items"), Row(("id", "a")), Ct)).Affected);
    }

    [Fact]
    public async Task The_pool_replaces_connections_the_server_closed()
    {
        RequireNetworkServer();
        Target.RequireServer();
        await using var t = await Target.OpenAsync(All, CreateDriver(Target.Url!, "-db-max-connections", "2"));
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("n", 1)), Ct);
        // a second pool ends the first pool's connections on the server, as a restart or an idle timeout would
        await using var killer = await Target.OpenAsync(All);
        for (var round = 0; round < 3; round++)
        {
            var ids = new HashSet<long>();
            for (var i = 0; i < 4; i++)
            {
                var rows = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery(ConnectionIdSql), Ct);
                ids.Add(Convert.ToInt64(rows.Rows[0]["id"], System.Globalization.CultureInfo.InvariantCulture));
            }
            foreach (var id in ids)
                await killer.Db.QueryAsync(killer.T("items"), new DbNativeQuery(KillSql, new Dictionary<string, object?> { ["id"] = id }), Ct);
            await Task.Delay(200, Ct);

            // a write may be answered 503 once (it cannot know whether the statement ran); reads are retried; then all is well
            try
            {
                await t.Db.IncrAsync(t.T("items"), Row(("id", "a"), ("hits", 1)), Ct);
            }
            catch (DbException ex) when (ex.Status == 503)
            {
                // the broken connection was dropped with the rest of the idle pool
            }
            Assert.Equal(1L, (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["n"]);
            Assert.Equal(1, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "a"), ("n", 1)), Ct)).Affected);
        }
    }

    [Fact]
    public async Task A_server_error_is_500_with_the_server_message_inside()
    {
        Target.RequireServer();
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.QueryAsync(t.T("items"), new DbNativeQuery("SELECT no_such_column FROM " + t.T("items")), Ct));
        Assert.Equal(500, ex.Status);
        Assert.Contains("no_such_column", ex.Message, StringComparison.Ordinal);
        // the connection that failed is fine for the next call
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows);
    }
}
