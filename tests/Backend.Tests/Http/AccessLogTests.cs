using System.Diagnostics;
using System.Net;
using System.Text;
using Backend.Http.AccessLog;
using Backend.Tests.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Http;

/// <summary>The access log's format, redaction, escaping, queue and writer, in-process (the server-level tests are in
/// Server/AccessLogServerTests.cs).</summary>
public sealed class AccessLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bkcs-accesslog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AccessLogEntry Entry(string target = "/ping", string? userAgent = "curl/8.5.0", string? account = null, int status = 200, long bytes = -1,
        IPAddress? client = null, long start = 0, long end = 0) =>
        new(start, end, client ?? IPAddress.Loopback, "GET", target, "HTTP/1.1", status, bytes,
            StringValues.Empty, userAgent is null ? StringValues.Empty : new StringValues(userAgent), account);

    private static string Format(in AccessLogEntry entry, TimeZoneInfo? zone = null, TimeSpan? took = null)
    {
        var line = new StringBuilder();
        new AccessLogFormat(zone ?? TimeZoneInfo.Utc).Append(line, entry, new DateTimeOffset(2026, 3, 7, 14, 3, 9, TimeSpan.Zero), took ?? TimeSpan.FromMicroseconds(1234));
        return line.ToString();
    }

    [Fact]
    public void A_line_is_the_combined_format_then_milliseconds_and_account()
    {
        var entry = Entry("/account/get?_count=5", account: "a1b2", bytes: 153) with { Referer = new StringValues("http://x/y") };
        Assert.Equal("127.0.0.1 - - [07/Mar/2026:14:03:09 +0000] \"GET /account/get?_count=5 HTTP/1.1\" 200 153 \"http://x/y\" \"curl/8.5.0\" 1.234 a1b2\n", Format(entry));
        // No reply size known, no headers, no account, an IPv4 client on a dual-stack socket.
        var bare = Entry("/", userAgent: null, client: IPAddress.Parse("10.1.2.3").MapToIPv6(), status: 404);
        Assert.Equal("10.1.2.3 - - [07/Mar/2026:14:03:09 +0000] \"GET / HTTP/1.1\" 404 - \"-\" \"-\" 250.000 -\n", Format(bare, took: TimeSpan.FromMilliseconds(250)));
    }

    [Fact]
    public void The_time_is_in_the_servers_zone_with_its_offset()
    {
        var india = TimeZoneInfo.CreateCustomTimeZone("x", TimeSpan.FromMinutes(330), "x", "x");
        Assert.Contains("[07/Mar/2026:19:33:09 +0530]", Format(Entry(), india), StringComparison.Ordinal);
        var west = TimeZoneInfo.CreateCustomTimeZone("y", TimeSpan.FromHours(-7), "y", "y");
        Assert.Contains("[07/Mar/2026:07:03:09 -0700]", Format(Entry(), west), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/a?bk-signature=1%7Cabc&x=1", "/a?bk-signature=***&x=1")]
    [InlineData("/account/put/secret?secret=hunter2", "/account/put/secret?secret=***")]
    [InlineData("/a?x=1&old_password=p&PassWD=q&SECRET=s&y=2", "/a?x=1&old_password=***&PassWD=***&SECRET=***&y=2")]
    [InlineData("/a?s%65cret=x&bk%2Dsignature=y&my+password=z", "/a?s%65cret=***&bk%2Dsignature=***&my+password=***")]
    [InlineData("/a?secret&x=secret&=v&&", "/a?secret&x=secret&=v&&")]
    [InlineData("/a/secret/b", "/a/secret/b")]
    public void Signatures_secrets_and_passwords_are_redacted_from_the_query(string target, string logged)
    {
        var line = new StringBuilder();
        AccessLogFormat.AppendTarget(line, target);
        Assert.Equal(logged, line.ToString());
    }

    [Theory]
    [InlineData("x\" 200 0 \"-\" \"-\" 0.000 admin\n127.0.0.1 - - [07/Mar/2026:14:03:09 +0000] \"GET /forged HTTP/1.1", "x\\\" 200 0 \\\"-\\\" \\\"-\\\" 0.000 admin\\x0a127.0.0.1 - - [07/Mar/2026:14:03:09 +0000] \\\"GET /forged HTTP/1.1")]
    [InlineData("a\r\nb\u0085c\u2028d\u2029e\u007f\u0001\u001b[31m", "a\\x0d\\x0ab\\x85c\\u2028d\\u2029e\\x7f\\x01\\x1b[31m")]
    [InlineData("back\\slash \u00e9 \U0001F600", "back\\\\slash \u00e9 \U0001F600")]
    public void A_user_agent_cannot_end_its_field_or_the_line(string userAgent, string logged)
    {
        var text = Format(Entry(userAgent: userAgent));
        Assert.Equal(text.Length - 1, text.IndexOf('\n', StringComparison.Ordinal));
        var line = AccessLogLine.Parse(text[..^1]);
        Assert.Equal(logged, line.UserAgent);
        Assert.Equal("GET /ping HTTP/1.1", line.Request);
        Assert.Equal("-", line.Account);
    }

    [Fact]
    public void Unpaired_surrogates_are_escaped()
    {
        var userAgent = "lone " + (char)0xd800 + " surrogate " + (char)0xdc00;
        Assert.Equal("lone \\ud800 surrogate \\udc00", AccessLogLine.Parse(Format(Entry(userAgent: userAgent))[..^1]).UserAgent);
    }

    [Fact]
    public void The_target_and_the_account_are_escaped_too()
    {
        var text = Format(Entry("/ping?x=\"\n1.2.3.4 - - [x] \"GET /forged", account: "id with space\""));
        var line = AccessLogLine.Parse(text[..^1]);
        Assert.Equal("GET /ping?x=\\\"\\x0a1.2.3.4 - - [x] \\\"GET /forged HTTP/1.1", line.Request);
        Assert.Equal("id\\x20with\\x20space\\\"", line.Account);
    }

    [Fact]
    public void A_full_queue_drops_and_counts_and_never_blocks_then_the_writer_reports_the_drops()
    {
        var path = Path.Combine(_dir, "log", "access.log");
        var time = new FakeTimeProvider();
        var queue = new AccessLogQueue(path, capacity: 4);
        var took = Stopwatch.StartNew();
        for (var i = 0; i < 100_000; i++) queue.Add(Entry($"/ping?n={i}", start: time.GetTimestamp()));
        took.Stop();
        Assert.True(took.Elapsed < TimeSpan.FromSeconds(5), $"100000 adds took {took.Elapsed.TotalMilliseconds:0} ms");

        var logs = new ListLogger<AccessLogWriter>();
        using var writer = new AccessLogWriter(queue, time, logs);
        writer.Open(path);
        writer.Pump(force: true);
        var lines = AccessLogLine.ReadAll(path);
        Assert.Equal(["GET /ping?n=0 HTTP/1.1", "GET /ping?n=1 HTTP/1.1", "GET /ping?n=2 HTTP/1.1", "GET /ping?n=3 HTTP/1.1"], lines.Select(l => l.Request));
        var warning = Assert.Single(logs.Lines, l => l.Level >= LogLevel.Warning);
        Assert.Equal((LogLevel.Warning, "access log: 99996 lines dropped, the queue of 4 lines was full"), warning);
        // Counted once: the next report has nothing to say.
        writer.Pump(force: true);
        Assert.Single(logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Lines_wait_for_the_flush_interval_or_a_full_batch()
    {
        var path = Path.Combine(_dir, "access.log");
        var time = new FakeTimeProvider();
        var queue = new AccessLogQueue(path, capacity: 100_000);
        using var writer = new AccessLogWriter(queue, time, new ListLogger<AccessLogWriter>());
        writer.Open(path);
        queue.Add(Entry(start: time.GetTimestamp()));
        writer.Pump(force: false);
        Assert.Empty(AccessLogLine.ReadAll(path));
        time.Advance(AccessLogWriter.FlushInterval);
        writer.Pump(force: false);
        Assert.Single(AccessLogLine.ReadAll(path));
        // A full batch goes at once, whole lines only.
        var longTarget = "/ping?x=" + new string('x', 1000);
        for (var i = 0; i < 100; i++) queue.Add(Entry(longTarget, start: time.GetTimestamp()));
        writer.Pump(force: false);
        var lines = AccessLogLine.ReadAll(path);
        Assert.InRange(lines.Count, 1 + (AccessLogWriter.BatchChars / 1100), 100);
        writer.Pump(force: true);
        Assert.Equal(101, AccessLogLine.ReadAll(path).Count);
    }

    [Fact]
    public void The_file_is_opened_again_after_it_was_moved_or_deleted()
    {
        var path = Path.Combine(_dir, "access.log");
        var time = new FakeTimeProvider();
        var queue = new AccessLogQueue(path, capacity: 100);
        using var writer = new AccessLogWriter(queue, time, new ListLogger<AccessLogWriter>());
        writer.Open(path);
        queue.Add(Entry("/one", start: time.GetTimestamp()));
        writer.Pump(force: true);
        File.Move(path, path + ".1");
        time.Advance(AccessLogWriter.ReopenCheck);
        queue.Add(Entry("/two", start: time.GetTimestamp()));
        writer.Pump(force: true);
        Assert.Equal(["GET /one HTTP/1.1"], AccessLogLine.ReadAll(path + ".1").Select(l => l.Request));
        Assert.Equal(["GET /two HTTP/1.1"], AccessLogLine.ReadAll(path).Select(l => l.Request));
        File.Delete(path);
        time.Advance(AccessLogWriter.ReopenCheck);
        queue.Add(Entry("/three", start: time.GetTimestamp()));
        writer.Pump(force: true);
        Assert.Equal(["GET /three HTTP/1.1"], AccessLogLine.ReadAll(path).Select(l => l.Request));
    }

    [Fact]
    public void A_file_that_cannot_be_opened_is_a_configuration_error()
    {
        var blocker = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(blocker, "");
        var path = Path.Combine(blocker, "access.log");
        using var writer = new AccessLogWriter(new AccessLogQueue(path, 10), TimeProvider.System, new ListLogger<AccessLogWriter>());
        var error = Assert.Throws<Backend.Configuration.ConfigException>(() => writer.Open(path));
        Assert.StartsWith($"cannot open the access log {path} (-api-access-log): ", error.Message, StringComparison.Ordinal);
        Assert.Throws<Backend.Configuration.ConfigException>(() => AccessLogWriter.Check(path));
    }
}

/// <summary>A logger that keeps (level, message) of every line.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel, string)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add((logLevel, formatter(state, exception)));
    }
}
