using System.Globalization;
using System.Text.RegularExpressions;

namespace Backend.Tests.Server;

/// <summary>One parsed access log line (docs/operations.md, "Access log"): the combined format, then the milliseconds
/// taken and the account id. <see cref="Parse"/> fails the test on a line that is not exactly one such line.</summary>
public sealed partial record AccessLogLine(string Client, string Time, string Request, int Status, string Bytes, string Referer, string UserAgent, double Ms, string Account)
{
    [GeneratedRegex("""^(\S+) - - \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "((?:[^"\\\x00-\x1f]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\\x00-\x1f]|\\.)*)" "((?:[^"\\\x00-\x1f]|\\.)*)" (\d+\.\d{3}) (\S+)$""")]
    private static partial Regex Pattern();

    /// <summary>Parses one line (without its newline).</summary>
    public static AccessLogLine Parse(string line)
    {
        var m = Pattern().Match(line);
        Assert.True(m.Success, $"not an access log line: {line}");
        return new AccessLogLine(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
            m.Groups[5].Value, m.Groups[6].Value, m.Groups[7].Value, double.Parse(m.Groups[8].Value, CultureInfo.InvariantCulture), m.Groups[9].Value);
    }

    /// <summary>The lines of a file: every one must parse, and the file must end with a newline (no torn last line).</summary>
    public static List<AccessLogLine> ReadAll(string path)
    {
        if (!File.Exists(path)) return [];
        var text = File.ReadAllText(path);
        if (text.Length == 0) return [];
        Assert.True(text.EndsWith('\n'), $"{path} ends in the middle of a line: ...{text[^Math.Min(200, text.Length)..]}");
        return [.. text[..^1].Split('\n').Select(Parse)];
    }

    /// <summary>Waits (up to 15 s) until <paramref name="path"/> holds a line that matches; fails with the file's
    /// content otherwise.</summary>
    public static async Task<AccessLogLine> WaitFor(string path, Func<AccessLogLine, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (ReadAll(path).FirstOrDefault(match) is { } found) return found;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no matching line in {path} within 15 s; it holds:\n{(File.Exists(path) ? File.ReadAllText(path) : "(no file)")}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
