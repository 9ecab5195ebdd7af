using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Backend.Http.AccessLog;

/// <summary>One access log line: the NCSA/Apache "combined" format with two fields added at the end, the time the
/// request took in milliseconds and the account id:
/// <code>%h %l %u %t "%r" %&gt;s %b "%{Referer}i" "%{User-Agent}i" MS ACCOUNT</code>
/// <code>127.0.0.1 - - [03/Dec/2026:08:01:59 +0000] "GET /account/get?bk-signature=*** HTTP/1.1" 200 - "-" "curl/8.5.0" 1.234 7d1c0f4ea2</code>
/// Escaping (as Apache's): in every field <c>"</c> and <c>\</c> are written <c>\"</c> and <c>\\</c>, control characters
/// (C0, DEL, C1) <c>\xHH</c>, and U+2028, U+2029 and unpaired surrogates <c>\uHHHH</c>; in the unquoted account id a
/// space is <c>\x20</c>; so no value can end a line or a field early. The values of the query parameters
/// <c>bk-signature</c> and of any whose name contains <c>secret</c>, <c>password</c> or <c>passwd</c> are written
/// <see cref="Redacted"/>. Not thread-safe (one per writer).</summary>
internal sealed class AccessLogFormat(TimeZoneInfo zone)
{
    /// <summary>What a redacted parameter value is replaced with.</summary>
    public const string Redacted = "***";

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private long _stampSecond = long.MinValue;
    private string _stamp = "";

    /// <summary>Appends the line of <paramref name="entry"/>, received at <paramref name="received"/>, with its
    /// newline.</summary>
    public void Append(StringBuilder line, in AccessLogEntry entry, DateTimeOffset received, TimeSpan took)
    {
        AppendClient(line, entry.Client);
        line.Append(" - - [").Append(Stamp(received)).Append("] \"");
        Escape(line, entry.Method, quoted: true);
        line.Append(' ');
        AppendTarget(line, entry.Target);
        line.Append(' ');
        Escape(line, entry.Protocol, quoted: true);
        line.Append("\" ").Append(entry.Status).Append(' ');
        if (entry.Bytes >= 0) line.Append(entry.Bytes);
        else line.Append('-');
        line.Append(" \"");
        AppendHeader(line, entry.Referer);
        line.Append("\" \"");
        AppendHeader(line, entry.UserAgent);
        line.Append("\" ");
        line.Append(CultureInfo.InvariantCulture, $"{Math.Max(0, took.TotalMilliseconds):0.000} ");
        if (string.IsNullOrEmpty(entry.AccountId)) line.Append('-');
        else Escape(line, entry.AccountId, quoted: false);
        line.Append('\n');
    }

    private static void AppendClient(StringBuilder line, IPAddress? client)
    {
        if (client is null)
        {
            line.Append('-');
            return;
        }
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        Span<char> text = stackalloc char[64];
        if (client.TryFormat(text, out var written)) line.Append(text[..written]);
        else line.Append('-');
    }

    // [dd/MMM/yyyy:HH:mm:ss +hhmm] in the server's time zone, as Apache writes it; made once a second.
    private string Stamp(DateTimeOffset received)
    {
        var second = received.ToUnixTimeSeconds();
        if (second == _stampSecond) return _stamp;
        var local = TimeZoneInfo.ConvertTime(received, zone);
        var offset = local.Offset;
        var minutes = (int)Math.Abs(offset.TotalMinutes);
        _stamp = string.Create(CultureInfo.InvariantCulture,
            $"{local.Day:00}/{Months[local.Month - 1]}/{local.Year:0000}:{local.Hour:00}:{local.Minute:00}:{local.Second:00} {(offset < TimeSpan.Zero ? '-' : '+')}{minutes / 60:00}{minutes % 60:00}");
        _stampSecond = second;
        return _stamp;
    }

    private static void AppendHeader(StringBuilder line, StringValues value)
    {
        if (value.Count == 0 || (value.Count == 1 && string.IsNullOrEmpty(value[0])))
        {
            line.Append('-');
            return;
        }
        for (var i = 0; i < value.Count; i++)
        {
            if (i > 0) line.Append(", ");
            Escape(line, value[i], quoted: true);
        }
    }

    /// <summary>The request target with the values of secret parameters redacted, escaped.</summary>
    internal static void AppendTarget(StringBuilder line, string target)
    {
        var q = target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            Escape(line, target, quoted: true);
            return;
        }
        Escape(line, target.AsSpan(0, q + 1), quoted: true);
        var rest = target.AsSpan(q + 1);
        var first = true;
        while (true)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            if (!first) line.Append('&');
            first = false;
            var eq = pair.IndexOf('=');
            if (eq >= 0 && IsSecret(pair[..eq]))
            {
                Escape(line, pair[..(eq + 1)], quoted: true);
                line.Append(Redacted);
            }
            else
            {
                Escape(line, pair, quoted: true);
            }
            if (amp < 0) break;
            rest = rest[(amp + 1)..];
        }
    }

    /// <summary>True for a parameter name (as sent, percent-encoded or not) whose value must not be logged.</summary>
    internal static bool IsSecret(ReadOnlySpan<char> name)
    {
        if (name.IndexOfAny('%', '+') >= 0)
        {
            try
            {
                name = Uri.UnescapeDataString(name.ToString().Replace('+', ' '));
            }
            catch (UriFormatException)
            {
                // a broken escape: judge the name as sent
            }
        }
        return name.Trim().Equals("bk-signature", StringComparison.OrdinalIgnoreCase)
            || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
            || name.Contains("password", StringComparison.OrdinalIgnoreCase)
            || name.Contains("passwd", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Appends <paramref name="value"/> with <c>"</c>, <c>\</c>, control characters, line and paragraph
    /// separators and unpaired surrogates escaped (and spaces, unless <paramref name="quoted"/>).</summary>
    internal static void Escape(StringBuilder line, ReadOnlySpan<char> value, bool quoted)
    {
        var from = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && (quoted || c != ' ')) continue;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (c > 0x9f && c != '\u2028' && c != '\u2029' && !char.IsSurrogate(c)) continue;
            line.Append(value[from..i]);
            from = i + 1;
            switch (c)
            {
                case '"':
                    line.Append("\\\"");
                    break;
                case '\\':
                    line.Append("\\\\");
                    break;
                case <= '\u00ff':
                    line.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    line.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        line.Append(value[from..]);
    }
}
