using System.Net;
using System.Net.Sockets;

namespace Backend.Tests.Server;

/// <summary>The <c>bkcs</c> command line, run as a process: exit codes 0 (success), 2 (usage or configuration
/// error, one line on stderr), 1 (runtime failure).</summary>
public sealed class CliTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args) =>
        await BackendServer.RunCommandAsync(args, TimeSpan.FromSeconds(30));

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunBackend(params string[] args)
    {
        var home = BackendServer.CreateHome();
        try
        {
            return await Run(["run", "-home", home, .. args]);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    private static void AssertOneLineError(string stderr, string mentions)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("bkcs: ", line, StringComparison.Ordinal);
        Assert.Contains(mentions, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_backend_with_a_non_numeric_port_exits_2_with_a_one_line_message()
    {
        var (code, _, stderr) = await RunBackend("-api-port", "abc", "-api-bind", "127.0.0.1");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "api-port");
    }

    [Fact]
    public async Task Run_backend_with_a_port_without_value_exits_2()
    {
        var (code, _, stderr) = await RunBackend("-api-bind", "127.0.0.1", "-api-port");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "api-port");
    }

    [Fact]
    public async Task Run_backend_with_a_port_followed_by_another_parameter_exits_2()
    {
        var (code, _, stderr) = await RunBackend("-api-port", "-api-bind", "127.0.0.1");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "api-port");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("8000.5")]
    public async Task Run_backend_with_a_port_out_of_range_exits_2(string port)
    {
        var (code, _, stderr) = await RunBackend("-api-port=" + port, "-api-bind", "127.0.0.1");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "api-port");
    }

    [Fact]
    public async Task Run_backend_with_an_invalid_bind_address_exits_2()
    {
        var (code, _, stderr) = await RunBackend("-api-port", "1", "-api-bind", "not-an-address");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "api-bind");
    }

    [Fact]
    public async Task Run_backend_with_an_invalid_choice_exits_2()
    {
        var (code, _, stderr) = await RunBackend("-api-port", "1", "-log", "loud");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "log");
    }

    [Fact]
    public async Task Run_backend_with_an_invalid_value_in_the_config_file_exits_2_naming_the_file()
    {
        var home = BackendServer.CreateHome();
        try
        {
            Directory.CreateDirectory(Path.Combine(home, "etc"));
            await File.WriteAllTextAsync(Path.Combine(home, "etc", "config"), "api-port=abc\n", TestContext.Current.CancellationToken);
            var (code, _, stderr) = await Run("run", "-home", home);
            Assert.Equal(2, code);
            AssertOneLineError(stderr, "config");
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    [Fact]
    public async Task Run_backend_with_an_unknown_parameter_only_warns_and_the_server_starts()
    {
        await using var server = await BackendServer.StartAsync(["-no-such-parameter", "1"]);
        using var client = server.Client();
        var r = await client.Get("/account/add", ("login", Accounts.UniqueLogin()), ("secret", "s"), ("name", "n"));
        ApiAssert.Ok(r);
        Assert.Contains("no-such-parameter", server.Output, StringComparison.Ordinal);
        Assert.False(server.HasExited);
    }

    [Fact]
    public async Task Run_backend_on_a_port_in_use_exits_1_with_a_one_line_message()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, _, stderr) = await RunBackend("-api-port", port, "-api-bind", "127.0.0.1");
        Assert.Equal(1, code);
        AssertOneLineError(stderr, port);
    }

    [Fact]
    public async Task Run_backend_on_a_port_in_use_exits_non_zero_saying_in_use()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, stdout, stderr) = await RunBackend("-api-port", port, "-api-bind", "127.0.0.1");
        Assert.NotEqual(0, code);
        Assert.Contains("in use", stdout + stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Help_config_lists_the_port_with_its_default()
    {
        var (code, stdout, _) = await Run("help", "config");
        Assert.Equal(0, code);
        var line = Assert.Single(stdout.Split('\n'), l => l.TrimStart().StartsWith("-port ", StringComparison.Ordinal));
        Assert.Contains("8000", line, StringComparison.Ordinal);
        Assert.Contains(stdout.Split('\n'), l => l.TrimStart().StartsWith("-api-allow-path ", StringComparison.Ordinal));
        Assert.Contains(stdout.Split('\n'), l => l.TrimStart().StartsWith("-api-deny-path ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_exits_0_with_the_usage()
    {
        var (code, stdout, _) = await Run("help");
        Assert.Equal(0, code);
        Assert.Contains("run-backend", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_arguments_exit_2_with_the_usage()
    {
        var (code, stdout, _) = await Run();
        Assert.Equal(2, code);
        Assert.Contains("usage", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_command_exits_2_with_a_one_line_message()
    {
        var (code, _, stderr) = await Run("nonsense");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "nonsense");
    }

    [Fact]
    public async Task Help_on_an_unknown_topic_exits_2()
    {
        var (code, _, stderr) = await Run("help", "nonsense");
        Assert.Equal(2, code);
        AssertOneLineError(stderr, "nonsense");
    }

    [Fact]
    public async Task Version_exits_0()
    {
        var (code, stdout, _) = await Run("version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout.Trim());
    }

    [Fact]
    public async Task The_server_harness_reports_the_server_output_when_start_fails()
    {
        var ex = await Assert.ThrowsAsync<ServerStartException>(() => BackendServer.StartAsync(["-api-bind", "not-an-address"]));
        Assert.Contains("api-bind", ex.Message, StringComparison.Ordinal);
    }
}
