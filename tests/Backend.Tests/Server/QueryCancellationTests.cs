using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.MySql;
using Backend.Postgres;
using Backend.Tests.Conformance;
using MySqlConnector;
using Npgsql;

namespace Backend.Tests.Server;

/// <summary>The real server and an expensive admin <c>/data/search</c> (docs/db.md, "Timeouts and cancellation"): when
/// the client disconnects, the statement stops within about a second (on SQLite the server process's CPU time stops
/// growing; on PostgreSQL and MySQL the database server no longer runs it) and the memory it took comes back (on
/// SQLite a <c>group_concat</c> over an endless recursive CTE grows the server by hundreds of MB while it runs, as the
/// outside probe saw). DynamoDB and Redis are skipped: Redis has no native search (501), and a DynamoDB filter
/// expression is evaluated within 1 MB pages, so nothing there runs long.</summary>
public sealed class QueryCancellationTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_expensive_search_stops_within_a_second_of_its_client_disconnecting_and_gives_its_memory_back()
    {
        var marker = "endless-" + Guid.NewGuid().ToString("N")[..12];
        var condition = QueryProbe.EndlessCondition(marker, growMemory: true);
        using var process = QueryProbe.ServerProcess(fixture.Server);
        await using var running = await QueryProbe.RunningOnDatabase();
        using var client = fixture.Client(fixture.Admin);

        // Warm up the search path (JIT, connections, the reply) so the baseline is the server at rest after it.
        for (var i = 0; i < 3; i++) ApiAssert.Ok(await client.Get("/data/search/bk_account", ("_query", "id = @id"), ("id", fixture.Admin.Id)));
        await Task.Delay(500, Ct);
        var baselineMb = QueryProbe.RssMb(process);

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = QueryProbe.SignedGet(client, "/data/search/bk_account", ("_query", condition));
        using var disconnect = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = http.SendAsync(request, disconnect.Token);

        // Running: SQLite burns the server's CPU and grows it by at least 100 MB; a database server lists the statement.
        var peakMb = baselineMb;
        var started = Stopwatch.StartNew();
        while (true)
        {
            if (call.IsCompleted)
            {
                using var answer = await call;
                Assert.Fail($"the endless search answered {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync(Ct)}");
            }
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the search did not get going within 20 s (RSS {peakMb} MB, baseline {baselineMb} MB)");
            await Task.Delay(100, Ct);
            peakMb = Math.Max(peakMb, QueryProbe.RssMb(process));
            if (running is null ? peakMb >= baselineMb + 100 : await running.CountAsync(marker) == 1) break;
        }
        if (running is null)
        {
            var cpu = QueryProbe.CpuMs(process);
            await Task.Delay(500, Ct);
            // (at least a fifth of a core: this machine is shared, and the growth above already shows the search runs)
            Assert.True(QueryProbe.CpuMs(process) - cpu >= 100, "the server is not busy with the search");
        }

        // The client goes away. On PostgreSQL the database's own clock times the stop (the backend's state_change against
        // a clock read just before the disconnect), so the polling's latency on a loaded machine does not count.
        var pgPid = running is not null && BackendServer.Pool == "pgsql" ? await running.PgPidAsync(marker) : 0;
        var pgDisconnect = pgPid != 0 ? await running!.PgClockAsync() : default;
        var cancelled = Stopwatch.StartNew();
        await disconnect.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        if (running is null)
        {
            // From one second after the disconnect on, the server is idle: an SQLite statement still running would add
            // about a second of CPU time per second.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, 1000 - cancelled.ElapsedMilliseconds)), Ct);
            var cpu = QueryProbe.CpuMs(process);
            await Task.Delay(1000, Ct);
            var busy = QueryProbe.CpuMs(process) - cpu;
            Assert.True(busy < 300, $"the server used {busy} ms of CPU in the second second after the disconnect");
        }
        else
        {
            if (pgPid != 0)
            {
                DateTime? stopped;
                while ((stopped = await running.PgStoppedAtAsync(pgPid, marker)) is null)
                {
                    Assert.True(cancelled.ElapsedMilliseconds < 10_000, $"pgsql still runs the statement {cancelled.ElapsedMilliseconds} ms after the disconnect; server log: {fixture.Server.Output[^Math.Min(4000, fixture.Server.Output.Length)..]}");
                    await Task.Delay(50, Ct);
                }
                var ms = (stopped.Value - pgDisconnect).TotalMilliseconds;
                TestContext.Current.TestOutputHelper?.WriteLine($"pgsql: the statement stopped {ms:F0} ms after the disconnect (database clock)");
                Assert.True(ms < QueryProbe.ServerCancelBudgetMs, $"pgsql stopped the statement {ms:F0} ms after the disconnect");
            }
            else
            {
                while (await running.CountAsync(marker) > 0)
                {
                    Assert.True(cancelled.ElapsedMilliseconds < QueryProbe.ServerCancelBudgetMs, $"{BackendServer.Pool} still runs the statement {cancelled.ElapsedMilliseconds} ms after the disconnect");
                    await Task.Delay(50, Ct);
                }
                TestContext.Current.TestOutputHelper?.WriteLine($"{BackendServer.Pool}: the statement stopped {cancelled.ElapsedMilliseconds} ms after the disconnect");
            }
        }

        // The memory comes back to near the baseline.
        var rssMb = QueryProbe.RssMb(process);
        for (var i = 0; i < 30 && rssMb > baselineMb + QueryProbe.NearMb; i++)
        {
            await Task.Delay(100, Ct);
            rssMb = QueryProbe.RssMb(process);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{BackendServer.Pool}: RSS baseline {baselineMb} MB, peak {peakMb} MB, after {rssMb} MB");
        Assert.True(rssMb <= baselineMb + QueryProbe.NearMb, $"RSS {rssMb} MB after the disconnect; {baselineMb} MB before, {peakMb} MB at the peak");

        // The server is fine: the same admin searches again at once, and the cancel left no error in its log.
        ApiAssert.Ok(await client.Get("/data/search/bk_account", ("_query", "id = @id"), ("id", fixture.Admin.Id)));
        Assert.DoesNotContain(" fail:", fixture.Server.Output, StringComparison.Ordinal);
    }
}

/// <summary>A server with a short time limit (<c>-db-timeout 1000</c>): an expensive admin search answers 504 at the
/// limit, is not retried, and the server logs one line without a stack trace.</summary>
public sealed class QueryTimeoutTests(QueryTimeoutTests.Fixture fixture) : IClassFixture<QueryTimeoutTests.Fixture>
{
    /// <summary>The admin server with every pool's time limit at one second.</summary>
    public sealed class Fixture : AdminServerFixture
    {
        /// <inheritdoc />
        protected override IEnumerable<string> Arguments => ["-db-timeout", "1000"];
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_expensive_search_past_the_time_limit_is_504_once_and_logged_in_one_line()
    {
        var marker = "endless-" + Guid.NewGuid().ToString("N")[..12];
        var condition = QueryProbe.EndlessCondition(marker, growMemory: false);
        await using var running = await QueryProbe.RunningOnDatabase();
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Ok(await client.Get("/data/search/bk_account", ("_query", "id = @id"), ("id", fixture.Admin.Id)));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = QueryProbe.SignedGet(client, "/data/search/bk_account", ("_query", condition));
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, Ct);
        watch.Stop();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal(504, body["status"]!.GetValue<int>());
        Assert.Equal(DbTimeout.Message, body["message"]!.GetValue<string>());
        Assert.Equal(["message", "status"], Accounts.Keys(body));
        // At the limit, once: the facade's 503 retries would run it three times (3 s and more).
        Assert.True(watch.ElapsedMilliseconds is >= 900 and < 2500, $"the 504 came after {watch.ElapsedMilliseconds} ms");
        if (running is not null) Assert.Equal(0, await running.CountAsync(marker));

        // One warning line, no stack trace.
        await Task.Delay(200, Ct);
        var lines = fixture.Server.Output.Split('\n');
        var logged = Assert.Single(lines, l => l.Contains("stopped at the time limit of 1000 ms", StringComparison.Ordinal));
        Assert.Contains("warn:", logged, StringComparison.Ordinal);
        Assert.Contains("Search bk_account", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));

        // The pool is fine afterwards.
        ApiAssert.Ok(await client.Get("/data/search/bk_account", ("_query", "id = @id"), ("id", fixture.Admin.Id)));
    }
}

/// <summary>What both tests use: the pool's endless condition, the server process's RSS and CPU time, and the database
/// server's list of running statements.</summary>
internal static class QueryProbe
{
    /// <summary>How far above its baseline the server's RSS may stay after the statement stopped.</summary>
    public const int NearMb = 50;

    /// <summary>How soon after the disconnect a database server must have stopped the statement: a second, plus the
    /// cancel's own way to the server on this shared 2-core machine (see SqlDriverTests.Timeouts).</summary>
    public const int ServerCancelBudgetMs = 1500;

    /// <summary>An admin search condition on bk_account (which has the admin's row) that runs for minutes in the pool's
    /// database, with the marker in its text; on SQLite, <paramref name="growMemory"/> makes it a <c>group_concat</c>
    /// that grows the server by tens of MB a second. Skips the test on a pool without such a condition.</summary>
    public static string EndlessCondition(string marker, bool growMemory)
    {
        switch (BackendServer.Pool)
        {
            case "sqlite" when growMemory:
                return $"'{marker}' <> '' AND length((WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT group_concat(x) FROM c)) > 0";
            case "sqlite":
                return $"'{marker}' <> '' AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c) < 0";
            case "pgsql":
                return $"'{marker}' <> '' AND (SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b WHERE a + b < 0) > 0";
            case "mysql":
                return $"'{marker}' <> '' AND (SELECT count(*) FROM seq_1_to_100000 a, seq_1_to_100000 b WHERE a.seq + b.seq < 0) > 0";
            default:
                Assert.Skip($"the {BackendServer.Pool} pool has no native condition that runs long (Redis cannot search natively; a DynamoDB filter expression works within 1 MB pages)");
                return "";
        }
    }

    /// <summary>A signed GET of the path with the query, to send with a plain HttpClient (whose token disconnects it).</summary>
    public static HttpRequestMessage SignedGet(BackendClient client, string path, params (string Name, string Value)[] query)
    {
        var uri = client.Url(path, BackendClient.Encode(query));
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", client.Sign(HttpMethod.Get, uri, null, null, new SignOptions())));
        return request;
    }

    /// <summary>The server's process: the one whose command line names its home (<c>dotnet bkcs.dll run -home HOME</c>).</summary>
    public static Process ServerProcess(BackendServer server)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string[] args;
            try
            {
                args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (args.Contains("run") && args.Contains(server.Home) && args.Contains(server.Port.ToString(CultureInfo.InvariantCulture)))
                return Process.GetProcessById(pid);
        }
        throw new InvalidOperationException($"no process runs the server of {server.Home}");
    }

    /// <summary>The process's resident memory in MB (VmRSS).</summary>
    public static long RssMb(Process process)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>The process's CPU time (user + system, all threads) in ms, from /proc/PID/stat (clock ticks of 10 ms).</summary>
    public static long CpuMs(Process process)
    {
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10;
    }

    /// <summary>The statements running on the pool's database server (null on SQLite, where the server process itself runs them).</summary>
    public static async Task<RunningStatements?> RunningOnDatabase()
    {
        if (BackendServer.Pool is not ("pgsql" or "mysql")) return null;
        var url = ServerUrls.Find(BackendServer.Pool) ?? throw new InvalidOperationException($"no {BackendServer.Pool} server");
        var running = new RunningStatements(BackendServer.Pool == "pgsql"
            ? NpgsqlDataSource.Create(PostgresDriverFactory.ConnectionString(url, 2, 3000))
            : new MySqlDataSource(MySqlDriverFactory.ConnectionString(url, 2, 3000)));
        await running.CountAsync("none");
        return running;
    }

    /// <summary>Counts the statements of other connections whose text holds a marker.</summary>
    public sealed class RunningStatements(System.Data.Common.DbDataSource source) : IAsyncDisposable
    {
        /// <summary>How many statements of other connections contain the marker.</summary>
        public async Task<long> CountAsync(string marker)
        {
            await using var cmd = source.CreateCommand(source is NpgsqlDataSource
                ? "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE @m AND pid <> pg_backend_pid()"
                : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE @m AND ID <> CONNECTION_ID()");
            var p = cmd.CreateParameter();
            p.ParameterName = "m";
            p.Value = $"%{marker}%";
            cmd.Parameters.Add(p);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
        }

        /// <summary>PostgreSQL: the backend process that runs the statement with the marker.</summary>
        public async Task<int> PgPidAsync(string marker)
        {
            await using var cmd = source.CreateCommand("SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE @m AND pid <> pg_backend_pid()");
            var p = cmd.CreateParameter();
            p.ParameterName = "m";
            p.Value = $"%{marker}%";
            cmd.Parameters.Add(p);
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
        }

        /// <summary>PostgreSQL: the database server's clock now.</summary>
        public async Task<DateTime> PgClockAsync()
        {
            await using var cmd = source.CreateCommand("SELECT clock_timestamp()");
            return (DateTime)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        }

        /// <summary>PostgreSQL: when the backend stopped running the statement with the marker (its state_change once it
        /// is no longer active with it), or null while it still runs it. A backend reused since reports a later time.</summary>
        public async Task<DateTime?> PgStoppedAtAsync(int pid, string marker)
        {
            await using var cmd = source.CreateCommand("SELECT state, query, state_change FROM pg_stat_activity WHERE pid = @pid");
            var p = cmd.CreateParameter();
            p.ParameterName = "pid";
            p.Value = pid;
            cmd.Parameters.Add(p);
            (bool Found, bool Active, DateTime Changed) row;
            await using (var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken))
            {
                row = await reader.ReadAsync(TestContext.Current.CancellationToken)
                    ? (true, reader.GetString(0) == "active" && reader.GetString(1).Contains(marker, StringComparison.Ordinal), reader.GetDateTime(2))
                    : (false, false, default);
            }
            // A backend that is gone stopped by now.
            if (!row.Found) return await PgClockAsync();
            return row.Active ? null : row.Changed;
        }

        /// <inheritdoc />
        public ValueTask DisposeAsync() => source.DisposeAsync();
    }
}
