using System.Globalization;
using System.Text;

namespace Backend.Tests.Fuzz;

/// <summary>Text as the fuzzer builds it: ordinary .NET strings that may also hold lone surrogates and "smuggled"
/// raw bytes (the private-use characters U+F700..U+F7FF stand for the bytes 0x00..0xFF), so one string can describe
/// any byte sequence, valid UTF-8 or not. <see cref="ToBytes"/> turns it into the bytes sent.</summary>
public static class FuzzText
{
    /// <summary>The character that stands for raw byte 0.</summary>
    public const char RawByteBase = '\uF700';

    /// <summary>Placeholders replaced when a case is sent: the ids of the accounts (A, B, admin), a message time, a
    /// paging token and a message sender the run has seen.</summary>
    public const char IdA = '\uE001', IdB = '\uE002', IdAdmin = '\uE003', SeenTime = '\uE004', SeenToken = '\uE005', SeenSender = '\uE006';

    /// <summary>Texts that would look like a leaked stack trace in a reply; generated text never contains them, so a
    /// reply that does leaked it.</summary>
    public static readonly string[] LeakMarkers = ["   at ", "Exception", ".cs:line", "System.", "Microsoft.", "/work/", "/tmp/"];

    /// <summary>The character standing for one raw byte.</summary>
    public static char RawByte(int b) => (char)(RawByteBase + (b & 0xff));

    /// <summary>Raw bytes as a fuzz string.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = RawByte(bytes[i]);
        return new string(chars);
    }

    /// <summary>The bytes of a fuzz string: UTF-8 for ordinary text and surrogate pairs, the byte itself for a smuggled
    /// byte, and the (invalid) three-byte form for a lone surrogate.</summary>
    public static byte[] ToBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new List<byte>(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= RawByteBase and <= '\uF7FF')
            {
                bytes.Add((byte)(c - RawByteBase));
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(i, 2)));
                i++;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else if (c < 0x800)
            {
                bytes.Add((byte)(0xC0 | (c >> 6)));
                bytes.Add((byte)(0x80 | (c & 0x3F)));
            }
            else
            {
                // A lone surrogate gets the generalized UTF-8 form (ED A0 80 for U+D800), which no decoder accepts.
                bytes.Add((byte)(0xE0 | (c >> 12)));
                bytes.Add((byte)(0x80 | ((c >> 6) & 0x3F)));
                bytes.Add((byte)(0x80 | (c & 0x3F)));
            }
        }
        return [.. bytes];
    }

    /// <summary>Percent-encodes every byte but the unreserved ones (encodeURIComponent style, on the raw bytes).</summary>
    public static string Percent(string text)
    {
        var sb = new StringBuilder(text.Length * 2);
        foreach (var b in ToBytes(text))
        {
            if (IsUnreserved(b)) sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Percent-encodes only what would break the request line (controls, space, '#', non-ASCII), leaving
    /// '%', '&amp;', '=' and '+' as they are: invalid percent sequences and odd splits reach the server.</summary>
    public static string Loose(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var b in ToBytes(text))
        {
            if (b is <= 0x20 or >= 0x7f or (byte)'#') sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary>A JSON string literal of the text: quotes, backslashes and controls escaped, lone surrogates as
    /// <c>\uXXXX</c> escapes (valid JSON syntax, invalid Unicode); smuggled bytes stay raw.</summary>
    public static string JsonString(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default:
                    if (char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>The text without any <see cref="LeakMarkers"/> (a character of each is replaced).</summary>
    public static string Sanitize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var marker in LeakMarkers)
        {
            if (text.Contains(marker, StringComparison.OrdinalIgnoreCase))
                text = text.Replace(marker, marker[..^1] + "_", StringComparison.OrdinalIgnoreCase);
        }
        return text;
    }

    /// <summary>A C# expression for the bytes: a UTF-8 string literal (<c>"..."u8.ToArray()</c>) when they are valid
    /// UTF-8 text, else a byte array.</summary>
    public static string CSharpBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return CSharpString(Encoding.UTF8.GetString(bytes)) + "u8.ToArray()";
        return "new byte[] { " + string.Join(", ", bytes.Select(b => "0x" + b.ToString("x2", CultureInfo.InvariantCulture))) + " }";
    }

    /// <summary>A C# string literal of the text (every non-printable-ASCII character escaped).</summary>
    public static string CSharpString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\r': sb.Append("\\r"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c is >= ' ' and < '\u007f') sb.Append(c);
                    else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static bool IsUnreserved(byte b) => b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
}
