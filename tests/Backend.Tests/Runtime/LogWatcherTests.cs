using System.Text;
using Backend.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Backend.Tests.Runtime;

/// <summary>The log watcher (issue 13, point 6): the scanner on files written by the test (offsets, complete lines
/// only, matching, ignore, stack lines, truncation, rotation, the read limit), and the watcher delivering to a real
/// HTTP receiver (Kestrel on loopback) and a real SMTP server (the SmtpServer package on loopback): each line once,
/// across scans and a restart, and again after a failed delivery.</summary>
public sealed class LogWatcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bkcs-logwatch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string LogPath => Path.Combine(_dir, "log", "message.log");

    private string ErrPath => Path.Combine(_dir, "log", "error.log");

    private static void Append(string path, params string[] lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, string.Concat(lines.Select(l => l + "\n")));
    }

    private static string Line(string level, string message) => $"2026-12-03 07:55:02 {level}: Backend.Test[0] {message}";

    private static LogScanner Scanner(string[]? match = null, string[]? ignore = null, int maxRead = 1_000_000) => new(match ?? [], ignore ?? [], maxRead);

    [Fact]
    public void The_scanner_takes_error_lines_with_their_stack_and_leaves_the_rest()
    {
        Append(LogPath,
            Line("info", "started"),
            Line("fail", "request failed"),
            "System.InvalidOperationException: boom",
            "   at Backend.Test.Run() in /src/Test.cs:line 1",
            "   at Backend.Test.Main()",
            Line("warn", "slow"),
            "   at not.context.of.a.warning()",
            Line("crit", "disk full"),
            Line("fail", "noisy retry 1"),
            "   at Noisy.Retry()",
            "Unhandled exception. System.Exception: crash",
            "   at Program.Main()",
            "my app: custom alarm");
        var scan = Scanner(match: ["custom alarm"], ignore: ["noisy retry"]).Scan(new WatchedLogFile(LogPath), null)!;
        Assert.Equal(
        [
            // An unindented line ends a matched line's context: the exception line after it and the frames under
            // that are not taken (the console logger folds an exception onto its line, or indents it).
            Line("fail", "request failed"),
            Line("crit", "disk full"),
            "Unhandled exception. System.Exception: crash",
            "   at Program.Main()",
            "my app: custom alarm",
        ], scan.Lines);
        Assert.DoesNotContain(scan.Lines, l => l.Contains("noisy", StringComparison.Ordinal) || l.Contains("Noisy", StringComparison.Ordinal));
        Assert.DoesNotContain(scan.Lines, l => l.Contains("not.context", StringComparison.Ordinal));
        Assert.Equal(new FileInfo(LogPath).Length, scan.Position.Offset);
        Assert.False(scan.Restarted);
    }

    [Fact]
    public void The_stack_lines_under_a_matched_line_are_kept_up_to_the_bound()
    {
        Append(LogPath, [Line("fail", "deep"), .. Enumerable.Range(0, 80).Select(i => $"   at Frame{i}()")]);
        var scan = new LogScanner([], [], contextLines: 50).Scan(new WatchedLogFile(LogPath), null)!;
        Assert.Equal(51, scan.Lines.Count);
        Assert.Equal("   at Frame49()", scan.Lines[^1]);
    }

    [Fact]
    public void The_scanner_takes_only_complete_lines_and_goes_on_from_where_it_stopped()
    {
        var scanner = Scanner();
        var file = new WatchedLogFile(LogPath);
        Append(LogPath, Line("fail", "one"));
        File.AppendAllText(LogPath, Line("fail", "two, still being written"));
        var first = scanner.Scan(file, null)!;
        Assert.Equal([Line("fail", "one")], first.Lines);
        Assert.Equal(Encoding.UTF8.GetByteCount(Line("fail", "one") + "\n"), first.Position.Offset);

        File.AppendAllText(LogPath, " now\n" + Line("info", "fine") + "\n");
        var second = scanner.Scan(file, first.Position)!;
        Assert.Equal([Line("fail", "two, still being written") + " now"], second.Lines);

        var third = scanner.Scan(file, second.Position)!;
        Assert.Empty(third.Lines);
        Assert.Equal(second.Position, third.Position);
    }

    [Fact]
    public void A_truncated_or_replaced_file_is_read_again_from_its_start()
    {
        var scanner = Scanner();
        var file = new WatchedLogFile(LogPath);
        Append(LogPath, Line("fail", "before rotation"), Line("info", "a long line to make the file longer than the next one"));
        var first = scanner.Scan(file, null)!;

        // copytruncate: the file is emptied and written again, shorter than the position reached.
        File.WriteAllText(LogPath, "");
        Append(LogPath, Line("fail", "after truncation"));
        var second = scanner.Scan(file, first.Position)!;
        Assert.True(second.Restarted);
        Assert.Equal([Line("fail", "after truncation")], second.Lines);

        // Rotation by rename: a new file, already longer than the position reached, with other first bytes.
        File.Move(LogPath, LogPath + ".1");
        Append(LogPath, [Line("fail", "in the new file"), .. Enumerable.Range(0, 5).Select(i => Line("info", $"filler {i}"))]);
        Assert.True(new FileInfo(LogPath).Length > second.Position.Offset);
        var third = scanner.Scan(file, second.Position)!;
        Assert.True(third.Restarted);
        Assert.Equal([Line("fail", "in the new file")], third.Lines);
    }

    [Fact]
    public void More_than_the_read_limit_since_the_last_scan_keeps_the_newest_whole_lines()
    {
        Append(LogPath, [.. Enumerable.Range(0, 100).Select(i => Line("fail", $"old {i:000}")), Line("fail", "newest")]);
        var scan = Scanner(maxRead: 300).Scan(new WatchedLogFile(LogPath), null)!;
        Assert.Equal(Line("fail", "newest"), scan.Lines[^1]);
        Assert.All(scan.Lines, l => Assert.StartsWith("2026-12-03 07:55:02 fail: ", l, StringComparison.Ordinal));
        Assert.True(scan.SkippedBytes > 0);
        Assert.Equal(new FileInfo(LogPath).Length, scan.Position.Offset);
        Assert.True(scan.Lines.Count <= 300 / Line("fail", "old 000").Length);
    }

    [Fact]
    public void Every_line_of_the_error_file_is_reported_and_a_missing_file_is_no_error()
    {
        Assert.Null(Scanner().Scan(new WatchedLogFile(ErrPath, EveryLine: true), null));
        Append(ErrPath, "bkcs: -port 8000: Address already in use", "", "Unhandled exception. System.Exception: x", "   at A()");
        var scan = Scanner().Scan(new WatchedLogFile(ErrPath, EveryLine: true), null)!;
        Assert.Equal(["bkcs: -port 8000: Address already in use", "Unhandled exception. System.Exception: x", "   at A()"], scan.Lines);
    }

    private LogWatcherOptions Options(string url = "") => new()
    {
        Url = url,
        Files = [new WatchedLogFile(LogPath), new WatchedLogFile(ErrPath, EveryLine: true)],
        Home = _dir,
        StateFile = Path.Combine(_dir, "var", "logwatcher.json"),
    };

    private static LogWatcher Watcher(LogWatcherOptions options, ILogReportSender sender) =>
        new(Microsoft.Extensions.Options.Options.Create(options), sender, TimeProvider.System, NullLogger<LogWatcher>.Instance);

    [Fact]
    public async Task Matched_lines_are_posted_once_across_scans_and_a_restart()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        var options = Options(receiver.Url);
        using var http = new HttpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, http);
        var ct = TestContext.Current.CancellationToken;

        Append(LogPath, Line("info", "started"), Line("fail", "first error"), "   at First()");
        Append(ErrPath, "bkcs: crash report");
        var report = await watcher.ScanAsync(ct);
        Assert.NotNull(report);
        var received = Assert.Single(receiver.Reports);
        Assert.Equal(Environment.ProcessId, received.GetProperty("pid").GetInt32());
        Assert.Equal(_dir, received.GetProperty("home").GetString());
        Assert.False(string.IsNullOrEmpty(received.GetProperty("host").GetString()));
        var files = received.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal([LogPath, ErrPath], files.Select(f => f.GetProperty("file").GetString()));
        Assert.Equal([Line("fail", "first error"), "   at First()"], files[0].GetProperty("lines").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["bkcs: crash report"], files[1].GetProperty("lines").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(0, files[0].GetProperty("omitted").GetInt32());

        // The next interval: nothing new, nothing sent.
        Assert.Null(await watcher.ScanAsync(ct));
        Append(LogPath, Line("info", "fine"));
        Assert.Null(await watcher.ScanAsync(ct));
        Assert.Single(receiver.Reports);

        // New lines only.
        Append(LogPath, Line("fail", "second error"));
        await watcher.ScanAsync(ct);
        Assert.Equal(2, receiver.Reports.Count);
        Assert.Equal([Line("fail", "second error")], receiver.Lines(1));

        // A restarted monitor (a new watcher on the same home) goes on from the state file.
        var restarted = Watcher(options, http);
        Assert.Null(await restarted.ScanAsync(ct));
        Append(LogPath, Line("crit", "after restart"));
        await restarted.ScanAsync(ct);
        Assert.Equal(3, receiver.Reports.Count);
        Assert.Equal([Line("crit", "after restart")], receiver.Lines(2));
        var all = Enumerable.Range(0, receiver.Reports.Count).SelectMany(receiver.Lines).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task A_failing_receiver_gets_the_lines_at_the_next_interval()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        var options = Options(receiver.Url);
        using var http = new HttpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, http);
        var ct = TestContext.Current.CancellationToken;

        receiver.Failing = true;
        Append(LogPath, Line("fail", "while the receiver is down"));
        Assert.Null(await watcher.ScanAsync(ct));
        Assert.Equal(1, receiver.Attempts);
        Assert.Empty(receiver.Reports);
        // Nothing was kept: a restart now would try again too.
        Assert.False(File.Exists(options.StateFile));

        Append(LogPath, Line("fail", "still down"));
        Assert.Null(await watcher.ScanAsync(ct));

        receiver.Failing = false;
        Append(LogPath, Line("fail", "back up"));
        Assert.NotNull(await watcher.ScanAsync(ct));
        Assert.Equal([Line("fail", "while the receiver is down"), Line("fail", "still down"), Line("fail", "back up")], receiver.Lines(0));
        Assert.Null(await watcher.ScanAsync(ct));
        Assert.Single(receiver.Reports);
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_times_out_and_is_tried_again()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        var options = Options(receiver.Url);
        options.SendTimeout = TimeSpan.FromMilliseconds(500);
        using var http = new HttpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, http);
        var ct = TestContext.Current.CancellationToken;

        receiver.Delay = TimeSpan.FromSeconds(5);
        Append(LogPath, Line("fail", "slow receiver"));
        Assert.Null(await watcher.ScanAsync(ct));
        receiver.Delay = TimeSpan.Zero;
        Assert.NotNull(await watcher.ScanAsync(ct));
        Assert.Equal([Line("fail", "slow receiver")], receiver.Lines(receiver.Reports.Count - 1));
    }

    [Fact]
    public async Task A_rotated_log_is_read_again_from_its_start()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        var options = Options(receiver.Url);
        using var http = new HttpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, http);
        var ct = TestContext.Current.CancellationToken;

        Append(LogPath, Line("fail", "before"), Line("info", "padding padding padding padding padding"));
        await watcher.ScanAsync(ct);
        File.Move(LogPath, LogPath + ".1");
        Append(LogPath, Line("fail", "after rotation"), Line("info", "padding padding padding padding padding"), Line("info", "more"));
        await watcher.ScanAsync(ct);
        Assert.Equal(2, receiver.Reports.Count);
        Assert.Equal([Line("fail", "after rotation")], receiver.Lines(1));
        Assert.True(receiver.Reports[1].GetProperty("files")[0].GetProperty("restarted").GetBoolean());
    }

    [Fact]
    public async Task A_report_is_capped_and_says_how_many_lines_it_left_out()
    {
        await using var receiver = await ReportReceiver.StartAsync();
        var options = Options(receiver.Url);
        options.MaxReportChars = 10 * Line("fail", "error 000").Length;
        using var http = new HttpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, http);
        Append(LogPath, [.. Enumerable.Range(0, 25).Select(i => Line("fail", $"error {i:000}"))]);
        await watcher.ScanAsync(TestContext.Current.CancellationToken);
        var file = receiver.Reports[0].GetProperty("files")[0];
        Assert.Equal(10, file.GetProperty("lines").GetArrayLength());
        Assert.Equal(15, file.GetProperty("omitted").GetInt32());
        // Left out for good: the next scan does not send them.
        Assert.Null(await watcher.ScanAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reports_are_mailed_through_a_real_SMTP_server_and_a_refused_mail_is_sent_again()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var options = Options();
        options.Email = ["ops@example.com", "dev@example.com"];
        options.From = "alerts@example.com";
        options.SmtpHost = "127.0.0.1";
        options.SmtpPort = smtp.Port;
        var mailer = new SmtpLogReportSender(Microsoft.Extensions.Options.Options.Create(options));
        var watcher = Watcher(options, mailer);
        var ct = TestContext.Current.CancellationToken;

        Append(LogPath, Line("info", "fine"), Line("fail", "mailed error"), "   at Mailed()");
        Assert.NotNull(await watcher.ScanAsync(ct));
        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("alerts@example.com", mail.From);
        Assert.Equal(["ops@example.com", "dev@example.com"], mail.To);
        Assert.Contains("Subject: logwatcher: ", mail.Headers, StringComparison.Ordinal);
        Assert.Contains(" errors: 2 lines", mail.Headers, StringComparison.Ordinal);
        Assert.Contains($"== {LogPath} ==\n{Line("fail", "mailed error")}\n   at Mailed()\n", mail.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("fine", mail.Body, StringComparison.Ordinal);

        // The server refuses the next one: kept for the next interval, then sent with what came since.
        smtp.Refuse = true;
        Append(LogPath, Line("fail", "refused once"));
        Assert.Null(await watcher.ScanAsync(ct));
        smtp.Refuse = false;
        Append(LogPath, Line("crit", "later"));
        Assert.NotNull(await watcher.ScanAsync(ct));
        Assert.Equal(2, smtp.Messages.Count);
        Assert.Contains($"{Line("fail", "refused once")}\n{Line("crit", "later")}\n", smtp.Messages[1].Body, StringComparison.Ordinal);
        Assert.DoesNotContain("mailed error", smtp.Messages[1].Body, StringComparison.Ordinal);
        Assert.Null(await watcher.ScanAsync(ct));
        Assert.Equal(2, smtp.Messages.Count);
    }

    [Fact]
    public void The_files_are_the_log_the_extra_ones_and_the_error_file_once_each()
    {
        using var home = new Configuration.TempHome();
        var daemon = LogWatcherServices.Files(home.Load(["-daemon", "-logwatcher-file", "/var/log/app.log,log/message.log"]));
        Assert.Equal(
        [
            new WatchedLogFile(Path.Combine(home.Root, "log", "message.log")),
            new WatchedLogFile("/var/log/app.log"),
            new WatchedLogFile(Path.Combine(home.Root, "log", "error.log"), EveryLine: true),
        ], daemon);
        Assert.Empty(LogWatcherServices.Files(home.Load([])));
        Assert.Equal([new WatchedLogFile(Path.Combine(home.Root, "x.log"))], LogWatcherServices.Files(home.Load(["-log-file", "x.log"])));
    }

    [Fact]
    public void A_bad_mail_address_is_a_configuration_error()
    {
        using var home = new Configuration.TempHome();
        var error = Assert.Throws<Backend.Configuration.ConfigException>(() =>
            LogWatcherServices.Add(new Microsoft.Extensions.DependencyInjection.ServiceCollection(), home.Load(["-logwatcher-email", "not an address"])));
        Assert.Equal("invalid value for -logwatcher-email: \"not an address\" is not a mail address", error.Message);
    }
}
