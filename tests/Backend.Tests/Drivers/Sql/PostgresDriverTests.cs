using System.Globalization;
using Backend.Data;
using Backend.Hosting;
using Backend.Postgres;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Sql;

/// <summary>The SQL driver tests on PostgreSQL, plus what only PostgreSQL does.</summary>
public sealed class PostgresDriverTests(PostgresTarget target) : SqlDriverTests<PostgresTarget>(target)
{
    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new PostgresDriverFactory();

    /// <inheritdoc />
    protected override string UrlAt(int port) => $"postgresql://postgres@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/backend";

    /// <inheritdoc />
    protected override string IndexNamesSql => "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = @t";

    /// <inheritdoc />
    protected override string ConnectionIdSql => "SELECT pg_backend_pid() AS id";

    /// <inheritdoc />
    protected override string KillSql => "SELECT pg_terminate_backend(CAST(@id AS integer))";

    /// <inheritdoc />
    protected override string SleepSql => "SELECT pg_sleep(@s)";

    private static async Task<Dictionary<string, (string Type, string? Collation)>> Columns(TestDb t, string table) =>
        (await t.Db.QueryAsync(table, new DbNativeQuery(
            "SELECT column_name AS c, data_type AS t, collation_name AS k FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t",
            new Dictionary<string, object?> { ["t"] = table }), Ct)).Rows
        .ToDictionary(r => (string)r["c"]!, r => ((string)r["t"]!, r.GetValueOrDefault("k") as string));

    [Fact]
    public async Task A_statement_whose_client_vanished_without_a_cancel_stops_within_a_second()
    {
        // When Npgsql cannot deliver or confirm a cancel it drops the connection, and PostgreSQL by itself notices a
        // dropped client only when it next writes to it. The pool's connections ask the server to check every 500 ms
        // (client_connection_check_interval). Here the pool's connection string reaches the server through a TCP relay
        // that is cut while a 60 s statement runs: no cancel request is sent, the client's socket just goes away.
        Target.RequireServer();
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(PostgresDriverFactory.ConnectionString(Target.Url!, 2, 3000));
        Assert.Contains("client_connection_check_interval=500", cs.Options, StringComparison.Ordinal);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var server = (cs.Host!, cs.Port);
        cs.Host = "127.0.0.1";
        cs.Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        cs.Pooling = false;
        var relay = Task.Run(async () =>
        {
            var client = await listener.AcceptSocketAsync(Ct);
            var upstream = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await upstream.ConnectAsync(server.Item1, server.Item2, Ct);
            _ = Pump(client, upstream);
            _ = Pump(upstream, client);
            return (client, upstream);
        }, Ct);

        var marker = "vanished-" + Guid.NewGuid().ToString("N")[..12];
        await using var conn = new Npgsql.NpgsqlConnection(cs.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var sleep = new Npgsql.NpgsqlCommand($"SELECT pg_sleep(60), '{marker}'", conn) { CommandTimeout = 120 };
        var running = sleep.ExecuteNonQueryAsync(CancellationToken.None);
        await using var probe = Npgsql.NpgsqlDataSource.Create(PostgresDriverFactory.ConnectionString(Target.Url!, 2, 3000));
        async Task<long> Running()
        {
            await using var cmd = probe.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE @m AND pid <> pg_backend_pid()");
            cmd.Parameters.AddWithValue("m", $"%{marker}%");
            return (long)(await cmd.ExecuteScalarAsync(Ct))!;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (await Running() == 0)
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), "the statement did not start within 20 s");
            await Task.Delay(50, Ct);
        }

        // Cut the relay: both sockets close at once (an RST to the server), as when a client process dies.
        var (accepted, toServer) = await relay;
        toServer.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        toServer.Close();
        accepted.Close();
        var cut = System.Diagnostics.Stopwatch.StartNew();
        while (await Running() > 0)
        {
            Assert.True(cut.Elapsed < TimeSpan.FromSeconds(5), $"PostgreSQL still runs the statement {cut.ElapsedMilliseconds} ms after its client vanished");
            await Task.Delay(50, Ct);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"the statement stopped {cut.ElapsedMilliseconds} ms after its client vanished");
        await Assert.ThrowsAnyAsync<Exception>(() => running);
    }

    private static async Task Pump(System.Net.Sockets.Socket from, System.Net.Sockets.Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None)) > 0)
                await to.SendAsync(buffer.AsMemory(0, n), System.Net.Sockets.SocketFlags.None);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // the relay was cut
        }
    }

    [Fact]
    public async Task Columns_have_native_types_and_text_sorts_in_the_C_collation()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var columns = await Columns(t, t.T("items"));
        Assert.Equal(("text", "C"), columns["id"]);
        Assert.Equal(("text", "C"), columns["name"]);
        Assert.Equal("bigint", columns["n"].Type);
        Assert.Equal("bigint", columns["hits"].Type);
        Assert.Equal("double precision", columns["score"].Type);
        Assert.Equal("boolean", columns["flag"].Type);
        Assert.Equal("jsonb", columns["doc"].Type);
    }

    [Fact]
    public async Task A_nul_character_is_400_since_postgresql_text_cannot_hold_it()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var text = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("note", "a\0b")), Ct));
        Assert.Equal(400, text.Status);
        var json = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("doc", "{\"s\":\"a\\u0000b\"}")), Ct));
        Assert.Equal(400, json.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task A_value_too_big_for_an_index_entry_is_400()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var random = new Random(7);
        var huge = new string([.. Enumerable.Range(0, 20_000).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", huge)), Ct));
        Assert.Equal(400, ex.Status);
        // the same value in a column without an index is fine
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("note", huge)), Ct);
        Assert.Equal(huge, (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["note"]);
    }

    [Fact]
    public async Task AddPostgres_registers_the_pgsql_pool()
    {
        Target.RequireServer();
        var home = Path.Combine(Target.Home, "app");
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", "-db-pool", "pgsql", "-db-pgsql-pool", Target.Url!]).AddPostgres();
        await using var app = builder.Build();
        var driver = Assert.IsType<PostgresDriver>(app.Db.Pools.Resolve(null, "any"));
        Assert.Equal("pgsql", driver.Name);
    }
}
