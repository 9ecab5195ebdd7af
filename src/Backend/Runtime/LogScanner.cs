using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Backend.Runtime;

/// <summary>A file the log watcher scans. <paramref name="EveryLine"/>: every line is reported (the -err-file, where
/// only crash reports and start-up errors go, as the reference's <c>errFile</c> with <c>match: /.+/</c>); otherwise
/// only the lines the match patterns select.</summary>
internal sealed record WatchedLogFile(string Path, bool EveryLine = false);

/// <summary>How far a file was read: the byte offset after the last complete line taken, and a fingerprint of the
/// file's first bytes, so a file replaced by another (rotation) or emptied and written again (copytruncate) is
/// recognised and read from its start.</summary>
internal sealed record LogFilePosition(long Offset, int HeadLength, string HeadHash);

/// <summary>What one scan of one file found: the lines to report (matched lines with their stack lines), where the
/// next scan starts (<see cref="Position"/>, to keep only once the report was delivered), how many bytes were jumped
/// over because more than the read limit was written since the last scan, and whether the file was read again from
/// its start (rotated or truncated).</summary>
internal sealed record LogScan(WatchedLogFile File, IReadOnlyList<string> Lines, LogFilePosition Position, long SkippedBytes, bool Restarted);

/// <summary>Reads what was appended to a log file since a <see cref="LogFilePosition"/> and picks the lines to report.
/// Pure: no state of its own, so the watcher decides when a position counts as done.</summary>
/// <remarks>
/// Only complete lines are taken: a line still being written (no newline yet) is left for the next scan. A matched
/// line keeps the indented lines that follow it (an exception's "   at ..." frames, the console logger's multi-line
/// format), at most <see cref="ContextLines"/>; an ignored line drops them too. Lines are decoded as UTF-8.
/// </remarks>
internal sealed class LogScanner
{
    /// <summary>Bytes of the file's start kept as its fingerprint.</summary>
    public const int HeadBytes = 256;

    /// <summary>The patterns always matched: this product's error and critical lines (the console logger's
    /// "2026-12-03 07:55:02 fail: Category[0] ..." and the syslog form "backend[PID]: crit: ..."), a .NET crash
    /// report, and the reference's logger format ("[PID]: ERROR: ").</summary>
    public static IReadOnlyList<string> BuiltInMatch { get; } =
    [
        @"(^|\s)(fail|crit): ",
        @"^Unhandled exception\. ",
        @"\]: (ERROR|CRIT|ALERT|EMERG): ",
    ];

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _match;
    private readonly Regex? _ignore;

    public LogScanner(IEnumerable<string> match, IEnumerable<string> ignore, int maxReadBytes = 1_000_000, int contextLines = 50, int maxLineChars = 8192)
    {
        _match = Combine(BuiltInMatch.Concat(match))!;
        _ignore = Combine(ignore);
        MaxReadBytes = maxReadBytes;
        ContextLines = contextLines;
        MaxLineChars = maxLineChars;
    }

    public int MaxReadBytes { get; }

    public int ContextLines { get; }

    public int MaxLineChars { get; }

    /// <summary>Scans <paramref name="file"/> from <paramref name="last"/> (null: never read, so from its start). Null
    /// when the file is not there (yet, or between a rotation's rename and the new file).</summary>
    public LogScan? Scan(WatchedLogFile file, LogFilePosition? last)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return null;
        }
        using (stream)
        {
            var length = stream.Length;
            var head = ReadAt(stream, 0, (int)Math.Min(length, HeadBytes));
            var same = last is not null && last.Offset <= length && last.HeadLength <= head.Length && Hash(head.AsSpan(0, last.HeadLength)) == last.HeadHash;
            var start = same ? last!.Offset : 0;
            var restarted = last is not null && !same;
            long skipped = 0;
            var lineStart = true;
            if (length - start > MaxReadBytes)
            {
                // More than the limit since the last scan: keep the newest part, from its first whole line.
                var from = length - MaxReadBytes;
                skipped = from - start;
                start = from;
                lineStart = ReadAt(stream, from - 1, 1)[0] == (byte)'\n';
            }
            var bytes = ReadAt(stream, start, (int)(length - start));
            var begin = 0;
            if (!lineStart)
            {
                var first = Array.IndexOf(bytes, (byte)'\n');
                begin = first < 0 ? bytes.Length : first + 1;
                skipped += begin;
            }
            var end = Array.LastIndexOf(bytes, (byte)'\n');
            // A line longer than the whole read limit would never complete: take it as it is.
            if (end < begin) end = bytes.Length >= MaxReadBytes ? bytes.Length - 1 : begin - 1;
            var taken = end + 1;
            var lines = taken > begin ? Select(Encoding.UTF8.GetString(bytes, begin, taken - begin), file.EveryLine) : [];
            var position = new LogFilePosition(start + Math.Max(taken, begin), head.Length, Hash(head));
            return new LogScan(file, lines, position, skipped, restarted);
        }
    }

    /// <summary>The lines of <paramref name="text"/> to report, with the indented lines under each.</summary>
    internal List<string> Select(string text, bool everyLine)
    {
        var selected = new List<string>();
        var context = 0;
        var dropping = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                context = 0;
                dropping = false;
                continue;
            }
            if (IsContinuation(line))
            {
                if (dropping) continue;
                if (context > 0)
                {
                    selected.Add(Cut(line));
                    context--;
                    continue;
                }
            }
            context = 0;
            dropping = false;
            if (_ignore?.IsMatch(line) == true)
            {
                dropping = true;
                continue;
            }
            if (everyLine || _match.IsMatch(line))
            {
                selected.Add(Cut(line));
                context = ContextLines;
            }
        }
        return selected;
    }

    private static bool IsContinuation(string line) => line[0] is ' ' or '\t';

    private string Cut(string line) => line.Length <= MaxLineChars ? line : string.Concat(line.AsSpan(0, MaxLineChars), " ...");

    private static Regex? Combine(IEnumerable<string> patterns)
    {
        var list = patterns.Where(p => p.Length > 0).ToList();
        return list.Count == 0 ? null : new Regex(string.Join('|', list.Select(p => "(?:" + p + ")")), RegexOptions.CultureInvariant, RegexTimeout);
    }

    private static byte[] ReadAt(FileStream stream, long offset, int count)
    {
        var buffer = new byte[count];
        stream.Position = offset;
        var read = 0;
        while (read < count)
        {
            var n = stream.Read(buffer, read, count - read);
            if (n == 0) break;
            read += n;
        }
        return read == count ? buffer : buffer[..read];
    }

    private static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
