using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Backend.Tests.Server;

/// <summary><c>-syslog</c> (issue 12, point 1): the server's log lines go as syslog(3) datagrams to the local syslog
/// socket instead of the console. The test plays the syslog daemon on a socket of its own (<c>-syslog-socket</c>).</summary>
public sealed class SyslogTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _dir = Directory.CreateTempSubdirectory("bkcs-syslog-").FullName;

    [Fact]
    public async Task Log_lines_go_to_the_syslog_socket_with_priority_tag_and_pid_and_not_to_the_console()
    {
        var path = Path.Combine(_dir, "log");
        using var daemon = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        daemon.Bind(new UnixDomainSocketEndPoint(path));
        await using var server = await BackendServer.StartAsync(["-syslog", "-syslog-socket", path, "-log", "info"]);

        var lines = new List<string>();
        var buffer = new byte[65536];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(TimeSpan.FromSeconds(15));
        var listening = $"Now listening on: http://127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}";
        while (!lines.Any(l => l.Contains(listening, StringComparison.Ordinal)))
        {
            var n = await daemon.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
            lines.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        var line = lines.First(l => l.Contains(listening, StringComparison.Ordinal));
        // <14> = facility user (1) * 8 + informational (6); then "Mmm dd hh:mm:ss backend[PID]: info: CATEGORY: ..."
        Assert.Matches(@"^<14>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d backend\[\d+\]: info: Microsoft\.Hosting\.Lifetime: Now listening on: ", line);
        Assert.Contains($"backend[{server.ProcessId.ToString(CultureInfo.InvariantCulture)}]", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_syslog_socket_stops_the_start_with_one_line()
    {
        var home = BackendServer.CreateHome();
        try
        {
            var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["run", "-home", home, "-port", BackendServer.FreePort().ToString(CultureInfo.InvariantCulture),
                "-syslog", "-syslog-socket", Path.Combine(_dir, "nothing-here")], TimeSpan.FromSeconds(60));
            Assert.Equal(2, code);
            Assert.Contains("-syslog: cannot reach the syslog socket", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
