using System.Diagnostics;
using System.Text.Json;

namespace Backend.Tests.Server;

/// <summary>The one-shot commands of <c>bkcs</c> (the reference's <c>bksh -get</c>, <c>-put</c>, ...), run as processes
/// on the pool of this test run (<see cref="BackendServer.PoolArgs"/>): JSON lines on stdout, exit 0 / 1 (no such row)
/// / 2 (usage: unknown table or column, missing key).</summary>
public sealed class ShellCommandTests : IDisposable
{
    private readonly string _home = BackendServer.CreateHome();

    public void Dispose() => BackendServer.DeleteHome(_home);

    private async Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args) =>
        await BackendServer.RunCommandAsync([.. args, "-home", _home, .. BackendServer.PoolArgs], TimeSpan.FromSeconds(60));

    private static JsonElement Row(string stdout) =>
        JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;

    [Fact]
    public async Task Put_get_select_update_del_a_row()
    {
        var id = "sh-" + Guid.NewGuid().ToString("N");
        var login = Accounts.UniqueLogin();

        var (code, stdout, stderr) = await Run("put", "bk_account", "id", id, "login", login, "name", "First");
        Assert.True(code == 0, stderr);
        Assert.Equal("First", Row(stdout).GetProperty("name").GetString());

        (code, stdout, stderr) = await Run("get", "bk_account", "id", id);
        Assert.True(code == 0, stderr);
        var row = Row(stdout);
        Assert.Equal(login, row.GetProperty("login").GetString());
        Assert.True(row.GetProperty("mtime").GetInt64() > 0, "a now column is filled on put");

        // The reference's spelling reaches the same code.
        (code, stdout, stderr) = await Run("shell", "-select", "bk_account", "login", login);
        Assert.True(code == 0, stderr);
        Assert.Equal(id, Row(stdout).GetProperty("id").GetString());

        (code, stdout, stderr) = await Run("update", "bk_account", "id", id, "name", "Second");
        Assert.True(code == 0, stderr);
        Assert.Equal("Second", Row(stdout).GetProperty("name").GetString());
        Assert.Equal(login, Row(stdout).GetProperty("login").GetString());

        (code, stdout, stderr) = await Run("del", "bk_account", "id", id);
        Assert.True(code == 0, stderr);
        Assert.Equal(1, Row(stdout).GetProperty("affected").GetInt32());

        (code, stdout, stderr) = await Run("get", "bk_account", "id", id);
        Assert.Equal(1, code);
        Assert.Empty(stdout.Trim());
        Assert.Contains("no row", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Run("update", "bk_account", "id", id, "name", "Third");
        Assert.Equal(1, code);
        Assert.Contains("no row", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_pages_with_count_and_the_start_token_on_stderr()
    {
        // Rows of one hash key, so the select is confined to them on a shared database too.
        var id = "sh-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++)
        {
            var (put, _, putError) = await Run("put", "bk_icon", "id", id, "type", $"t{i}");
            Assert.True(put == 0, putError);
        }
        var seen = new List<string>();
        var (code, stdout, stderr) = await Run("select", "bk_icon", "id", id, "-count", "2");
        Assert.True(code == 0, stderr);
        seen.AddRange(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()!));
        Assert.Equal(2, seen.Count);
        var next = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("next: -start ", StringComparison.Ordinal));
        (code, stdout, stderr) = await Run("select", "bk_icon", "id", id, "-count", "2", "-start", next["next: -start ".Length..]);
        Assert.True(code == 0, stderr);
        seen.AddRange(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()!));
        Assert.Equal(["t0", "t1", "t2"], seen.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("unknown table 'nosuch'", "get", "nosuch", "id", "1")]
    [InlineData("unknown column 'nosuch'", "get", "bk_account", "nosuch", "1")]
    [InlineData("unknown column 'nosuch'", "select", "bk_account", "nosuch", "1")]
    [InlineData("'id' is missing", "del", "bk_account", "name", "x")]
    [InlineData("expected a table", "put", "bk_account", "id")]
    [InlineData("expected a table", "get")]
    [InlineData("-count must be a positive integer", "select", "bk_account", "-count", "x")]
    [InlineData("unknown column 'nosuch'", "shell", "-put", "bk_account", "id", "1", "nosuch", "1")]
    public async Task Bad_input_exits_2_with_one_line_and_no_stack_trace(string message, params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);
        Assert.Equal(2, code);
        Assert.Empty(stdout.Trim());
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("bkcs ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_config_gives_each_value_with_its_source_and_masks_secrets()
    {
        Directory.CreateDirectory(Path.Combine(_home, "etc"));
        await File.WriteAllTextAsync(Path.Combine(_home, "etc", "config"),
            "logwatcher-smtp-password=hunter2\ndb-mysql-pool=mysql://u:topsecret@127.0.0.1:3306/db\n", TestContext.Current.CancellationToken);
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(
            ["show-config", "port", "logwatcher-smtp-password", "db-mysql-pool", "log", "-home", _home, "-log", "error"]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^-port\s+8000\s+\(default\)$", lines[0]);
        Assert.Contains("line 1", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", stdout, StringComparison.Ordinal);
        Assert.Contains("mysql://u:*****@127.0.0.1:3306/db", lines[2], StringComparison.Ordinal);
        Assert.Contains("line 2", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^-log\s+error\s+\(command line\)$", lines[3]);

        (code, _, stderr) = await BackendServer.RunCommandAsync(["shell", "-show-config", "nosuch", "-home", _home]);
        Assert.Equal(2, code);
        Assert.Contains("unknown parameter 'nosuch'", stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>bkcs shell</c> with <paramref name="input"/> piped as its stdin (closed after, which is the end
    /// of input that ends the REPL).</summary>
    private async Task<(int ExitCode, string Stdout, string Stderr)> Shell(string input, params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[BackendServer.BkcsDll, "shell", "-home", _home, .. BackendServer.PoolArgs, .. args]) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bkcs shell did not exit; output:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Shell_runs_statements_with_Db_in_scope_prints_results_and_goes_on_after_errors()
    {
        var id = "sh-" + Guid.NewGuid().ToString("N");
        var (code, _, stderr) = await Run("put", "bk_account", "id", id, "login", Accounts.UniqueLogin(), "name", "Shell Name");
        Assert.True(code == 0, stderr);

        var input = $$"""
            await Db.GetAsync("bk_account", new { id = "{{id}}" })
            var x = 6 *
              7;
            nosuch(1);
            x
            throw new InvalidOperationException("boom");
            Db.GetAsync("bk_account", new { id = "{{id}}" })
            Config.Get("db-pool")
            .exit
            x + 1
            """;
        string stdout;
        (code, stdout, stderr) = await Shell(input + "\n");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("Shell Name", JsonDocument.Parse(lines[0]).RootElement.GetProperty("name").GetString());
        // The variable of a statement that spanned two lines outlives the compile error after it.
        Assert.Equal("42", lines[1]);
        // A task typed without await is awaited before it is printed.
        Assert.Equal(id, JsonDocument.Parse(lines[2]).RootElement.GetProperty("id").GetString());
        Assert.Equal(BackendServer.Pool, lines[3]);

        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, errors.Length);
        Assert.StartsWith("error: ", errors[0], StringComparison.Ordinal);
        Assert.Contains("nosuch", errors[0], StringComparison.Ordinal);
        Assert.Equal("error: InvalidOperationException: boom", errors[1]);

        var history = await File.ReadAllTextAsync(Path.Combine(_home, "var", "history"), TestContext.Current.CancellationToken);
        Assert.Contains("var x = 6 *\n  7;\n", history, StringComparison.Ordinal);
        Assert.DoesNotContain(".exit", history, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shell_ends_at_end_of_input_and_writes_history_where_repl_file_says()
    {
        var file = Path.Combine(_home, "hist", "my.history");
        var (code, stdout, stderr) = await Shell("1 + 1\n\"a\" + \"b\"", "-repl-file", file);
        Assert.True(code == 0, stderr);
        Assert.Equal(["2", "ab"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("1 + 1\n\"a\" + \"b\"\n", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
    }

    /// <summary>Sends <paramref name="input"/> on a new connection to the REPL port, closes the sending side (the end
    /// of input) and returns everything the server wrote before closing.</summary>
    private static async Task<string> Talk(int port, string input)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(input), ct);
        client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        using var reader = new StreamReader(stream);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        return await reader.ReadToEndAsync(cts.Token);
    }

    [Fact]
    public async Task Repl_port_runs_statements_in_the_live_server_only_after_the_token()
    {
        var port = BackendServer.FreePort();
        await using var server = await BackendServer.StartAsync(["-repl-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-repl-token", "s3cret"]);

        // Loopback by default: from another address of this host the port is closed (where the host has one).
        var other = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a));
        if (other is not null)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => tcp.ConnectAsync(other, port, TestContext.Current.CancellationToken).AsTask());
        }
        Assert.Equal("error: bad token\n", await Talk(port, "wrong\n1 + 1\n"));
        Assert.Equal("error: bad token\n", await Talk(port, "\n1 + 1\n"));

        var id = "sh-" + Guid.NewGuid().ToString("N");
        var output = await Talk(port, $$"""
            s3cret
            1 + 1
            nosuch
            await Db.PutAsync("bk_account", new { id = "{{id}}", login = "{{id}}", name = "From the REPL" });
            Config.GetInt("port")
            """ + "\n");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The put is a statement (its semicolon), so it prints nothing; its row is checked in the database below.
        Assert.Equal(3, lines.Length);
        Assert.Equal("2", lines[0]);
        Assert.StartsWith("error: ", lines[1], StringComparison.Ordinal);
        Assert.Equal(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[2]);
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["get", "bk_account", "id", id, "-home", server.Home, .. BackendServer.PoolArgs]);
        Assert.True(code == 0, stderr);
        Assert.Equal("From the REPL", Row(stdout).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Repl_port_without_a_token_is_refused_at_start()
    {
        var (code, _, stderr) = await BackendServer.RunCommandAsync(["run", "-home", _home, "-port", BackendServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-repl-port", BackendServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(2, code);
        Assert.Contains("-repl-token", stderr, StringComparison.Ordinal);
    }
}
