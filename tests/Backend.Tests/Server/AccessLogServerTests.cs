using System.Net.Sockets;
using System.Text;

namespace Backend.Tests.Server;

/// <summary>A server writing an access log to log/access.log (-api-access-log set: a single process writes none by
/// default), /ping open, 300 ms long polls.</summary>
public sealed class AccessLogFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-access-log", "log/access.log", "-api-allow-path", "^/ping$", "-api-subscribe-timeout", "300"];

    /// <summary>The access log.</summary>
    public string LogPath => Path.Combine(Server.Home, "log", "access.log");
}

/// <summary>The access log against the real server (issue 13, point 5): the fields of signed and anonymous requests,
/// redaction, lines that cannot be forged, WebSocket messages, rotation by moving the file away.</summary>
public sealed class AccessLogServerTests(AccessLogFixture fixture) : IClassFixture<AccessLogFixture>
{
    private static string Marker() => Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_signed_request_is_logged_with_status_path_account_and_its_signature_redacted()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        client.Defaults = new SignOptions { In = SignatureIn.Query };
        var marker = Marker();
        ApiAssert.Ok(await client.Get("/account/get", ("marker", marker)));
        var line = await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.Contains(marker, StringComparison.Ordinal));
        Assert.Equal("127.0.0.1", line.Client);
        Assert.Equal(200, line.Status);
        Assert.Equal(a.Id, line.Account);
        Assert.StartsWith("GET /account/get?", line.Request, StringComparison.Ordinal);
        Assert.EndsWith(" HTTP/1.1", line.Request, StringComparison.Ordinal);
        Assert.Contains("bk-signature=***", line.Request, StringComparison.Ordinal);
        Assert.Equal(1, line.Request.Split("bk-signature=").Length - 1);
        Assert.InRange(line.Ms, 0, 10_000);

        // Anonymous and refused: the status sent, no account.
        using var anonymous = fixture.Client();
        ApiAssert.Error(await anonymous.Get("/nowhere", ("marker", marker)), 400);
        var refused = await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.StartsWith("GET /nowhere?", StringComparison.Ordinal) && l.Request.Contains(marker, StringComparison.Ordinal));
        Assert.Equal((400, "-"), (refused.Status, refused.Account));
    }

    [Fact]
    public async Task The_time_taken_is_the_requests_and_a_new_secret_is_never_written()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var marker = Marker();
        // A long poll with nothing to say answers after -api-subscribe-timeout (300 ms).
        ApiAssert.Ok(await client.Get("/account/subscribe", ("marker", marker)));
        var poll = await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.StartsWith("GET /account/subscribe?", StringComparison.Ordinal) && l.Request.Contains(marker, StringComparison.Ordinal));
        Assert.InRange(poll.Ms, 290, 10_000);
        Assert.Equal(a.Id, poll.Account);

        var secret = "new-" + Marker();
        ApiAssert.Ok(await client.GetRaw("/account/put/secret", $"secret={secret}&marker={marker}"));
        var put = await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.StartsWith("GET /account/put/secret?", StringComparison.Ordinal));
        Assert.Equal($"GET /account/put/secret?secret=***&marker={marker} HTTP/1.1", put.Request);
        Assert.DoesNotContain(secret, await File.ReadAllTextAsync(fixture.LogPath, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_agent_with_quotes_and_control_characters_or_a_WebSocket_message_with_a_newline_cannot_forge_a_line()
    {
        var marker = Marker();
        var forged = $"x\" 200 0 \"-\" \"-\" 0.000 admin\u0001\u001b[2J{marker}";
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", fixture.Server.Port, TestContext.Current.CancellationToken);
            var stream = tcp.GetStream();
            var request = $"GET /ping?marker={marker} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {forged}\r\nReferer: r\"\u000b\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), TestContext.Current.CancellationToken);
            var reply = new byte[256];
            var n = await stream.ReadAsync(reply, TestContext.Current.CancellationToken);
            Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(reply, 0, n), StringComparison.Ordinal);
        }
        var line = await AccessLogLine.WaitFor(fixture.LogPath, l => l.UserAgent.Contains(marker, StringComparison.Ordinal));
        Assert.Equal($"x\\\" 200 0 \\\"-\\\" \\\"-\\\" 0.000 admin\\x01\\x1b[2J{marker}", line.UserAgent);
        Assert.Equal("r\\\"\\x0b", line.Referer);
        Assert.Equal((200, "-"), (line.Status, line.Account));

        // A WebSocket message is a request of its own, logged as a GET; its text may hold anything, a newline too.
        using (var ws = await WsClient.Connect(fixture.Server.Port))
        {
            await ws.Send($"/ping?m={marker}&x=\"\n127.0.0.1 - - [07/Mar/2026:14:03:09 +0000] \"GET /forged HTTP/1.1\" 200 - \"-\" \"-\" 0.000 -");
            await ws.Receive();
        }
        var message = await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.Contains($"m={marker}", StringComparison.Ordinal));
        Assert.StartsWith($"GET /ping?m={marker}&x=\\\"\\x0a127.0.0.1 - - [", message.Request, StringComparison.Ordinal);
        Assert.Equal(200, message.Status);
        // The upgrade is a line too once the socket closed: 101.
        await AccessLogLine.WaitFor(fixture.LogPath, l => l.Status == 101 && l.Request == "GET / HTTP/1.1");
        Assert.DoesNotContain(AccessLogLine.ReadAll(fixture.LogPath), l => l.Request.StartsWith("GET /forged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_file_is_opened_again_after_it_was_moved_away()
    {
        var marker = Marker();
        using var client = fixture.Client();
        var sent = 0;
        async Task Send() => ApiAssert.Ok(await client.Get("/ping", ("rotation", marker), ("n", $"{sent++}")));
        for (var i = 0; i < 5; i++) await Send();
        await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.Contains($"rotation={marker}&n=4 ", StringComparison.Ordinal));
        var rotated = fixture.LogPath + "." + marker;
        File.Move(fixture.LogPath, rotated);
        // Lines go on to the moved file until the writer notices (within a second or two), then to a new file.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!File.Exists(fixture.LogPath) || AccessLogLine.ReadAll(fixture.LogPath).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no new access log within 15 s of moving it away");
            await Send();
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        for (var i = 0; i < 5; i++) await Send();
        await AccessLogLine.WaitFor(fixture.LogPath, l => l.Request.Contains($"rotation={marker}&n={sent - 1} ", StringComparison.Ordinal));
        // Every request is in one of the two files, once, as a whole line.
        var numbers = AccessLogLine.ReadAll(rotated).Concat(AccessLogLine.ReadAll(fixture.LogPath))
            .Where(l => l.Request.Contains($"rotation={marker}&", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Request.Split("&n=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Order().ToList();
        Assert.Equal(Enumerable.Range(0, sent), numbers);
        Assert.Contains(AccessLogLine.ReadAll(rotated), l => l.Request.Contains($"rotation={marker}&n=0 ", StringComparison.Ordinal));
    }
}

/// <summary>When no access log is written: <c>-api-no-access-log</c> (whatever <c>-api-access-log</c> says), and a
/// single process in the foreground by default; a file that cannot be opened stops the start.</summary>
public sealed class AccessLogSettingsTests
{
    [Fact]
    public async Task A_file_that_cannot_be_opened_stops_the_start_with_one_line()
    {
        var home = BackendServer.CreateHome();
        try
        {
            var blocker = Path.Combine(home, "blocker");
            await File.WriteAllTextAsync(blocker, "", TestContext.Current.CancellationToken);
            var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["run", "-home", home, "-port", $"{BackendServer.FreePort()}",
                "-api-access-log", "blocker/access.log", .. BackendServer.PoolArgs], TimeSpan.FromSeconds(60));
            Assert.Equal(2, code);
            Assert.Contains($"bkcs: cannot open the access log {blocker}/access.log (-api-access-log): ", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Theory]
    [InlineData("-api-access-log", "log/x.log", "-api-no-access-log")]
    [InlineData("-api-allow-path", "^/ping$")]
    public async Task Nothing_is_written(params string[] args)
    {
        await using var server = await BackendServer.StartAsync([.. args, "-api-allow-path", "^/ping$"]);
        using var client = server.Client();
        for (var i = 0; i < 10; i++) ApiAssert.Ok(await client.Get("/ping"));
        // Longer than the writer's flush interval and batch delay.
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        var log = Path.Combine(server.Home, "log");
        Assert.False(Directory.Exists(log) && Directory.EnumerateFileSystemEntries(log).Any(), $"{log} holds {string.Join(", ", Directory.Exists(log) ? Directory.EnumerateFileSystemEntries(log) : [])}");
    }
}
