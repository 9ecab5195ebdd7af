using System.Buffers;
using System.Buffers.Text;

namespace Backend.Memcached.Client;

/// <summary>The codes of meta replies (and the text protocol's error lines).</summary>
internal enum MetaCode
{
    /// <summary>VA: a value follows.</summary>
    Value,

    /// <summary>HD: done, no value (stored, deleted).</summary>
    Done,

    /// <summary>EN: miss (mg).</summary>
    Miss,

    /// <summary>NF: not found (md, ma).</summary>
    NotFound,

    /// <summary>NS: not stored (ms in add mode on an existing key).</summary>
    NotStored,

    /// <summary>EX: CAS mismatch (not used by this client).</summary>
    Exists,

    /// <summary>MN: the answer to mn.</summary>
    Noop,

    /// <summary>ERROR, CLIENT_ERROR or SERVER_ERROR: <see cref="MetaReply.Error"/> says which and why.</summary>
    Error,
}

/// <summary>One meta reply.</summary>
internal readonly record struct MetaReply(MetaCode Code, uint Opaque, bool HasOpaque, uint Flags, byte[]? Data, MemcachedException? Error);

/// <summary>Writing commands and reading replies of memcached's text protocols: the meta commands (mg, ms, md, ma, mn)
/// and the classic lines used for the rest (stats, flush_all, lru_crawler metadump). Readers work on a
/// <see cref="SequenceReader{T}"/> over what has arrived and never consume part of a reply: they return false and
/// leave the reader where it was when the reply is not complete yet.</summary>
internal static class MemcachedProtocol
{
    /// <summary>No line of a reply (a header, a stat, a metadump line) comes near this; more bytes without a line end
    /// mean the stream is not memcached's.</summary>
    public const int MaxLine = 16 * 1024;

    /// <summary>A VA header announcing more than this is taken for garbage (memcached's hard item limit is 1 GB;
    /// -I above 128 MB is not expected here).</summary>
    public const int MaxData = 128 * 1024 * 1024;

    // ----- writing

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            var span = output.GetSpan(Math.Min(bytes.Length, 64 * 1024));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            output.Advance(n);
            bytes = bytes[n..];
        }
    }

    public static void WriteNumber(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(20);
        if (!Utf8Formatter.TryFormat(value, span, out var n)) throw new InvalidOperationException("number does not fit");
        output.Advance(n);
    }

    /// <summary>A flag token: space, the flag letter, the number.</summary>
    public static void WriteFlag(IBufferWriter<byte> output, byte flag, ulong value)
    {
        var span = output.GetSpan(2);
        span[0] = (byte)' ';
        span[1] = flag;
        output.Advance(2);
        WriteNumber(output, value);
    }

    // ----- reading

    /// <summary>Reads one line without its CR LF (a bare LF ends a line too: metadump lines end so).</summary>
    public static bool TryReadLine(ref SequenceReader<byte> reader, string server, out ReadOnlySpan<byte> line)
    {
        if (!reader.TryReadTo(out ReadOnlySequence<byte> seq, (byte)'\n'))
        {
            if (reader.Remaining > MaxLine) throw Garbage(server, "a reply line longer than " + MaxLine + " bytes");
            line = default;
            return false;
        }
        line = seq.IsSingleSegment ? seq.FirstSpan : seq.ToArray();
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        return true;
    }

    /// <summary>The error a line stands for, or null when it is no error line.</summary>
    public static MemcachedException? ErrorOf(ReadOnlySpan<byte> line, string server)
    {
        if (line.SequenceEqual("ERROR"u8) || line.StartsWith("ERROR "u8))
            return new MemcachedException(MemcachedErrorKind.ClientError, server, "ERROR (command not known to the server)");
        if (line.StartsWith("CLIENT_ERROR"u8))
            return new MemcachedException(MemcachedErrorKind.ClientError, server, System.Text.Encoding.ASCII.GetString(line));
        if (line.StartsWith("SERVER_ERROR"u8))
            return new MemcachedException(MemcachedErrorKind.ServerError, server, System.Text.Encoding.ASCII.GetString(line));
        return null;
    }

    /// <summary>Reads one meta reply: "VA size flags*\r\nDATA\r\n", "HD flags*", "EN flags*", "NF", "NS", "EX", "MN",
    /// or an error line. Flags read: f (client flags) and O (opaque).</summary>
    public static bool TryReadMeta(ref SequenceReader<byte> reader, string server, out MetaReply reply)
    {
        reply = default;
        var r = reader;
        if (!TryReadLine(ref r, server, out var line)) return false;
        if (ErrorOf(line, server) is { } error)
        {
            reply = new MetaReply(MetaCode.Error, 0, false, 0, null, error);
            reader = r;
            return true;
        }
        if (line.Length < 2 || (line.Length > 2 && line[2] != (byte)' ')) throw Garbage(server, line);
        var code = (line[0], line[1]) switch
        {
            ((byte)'V', (byte)'A') => MetaCode.Value,
            ((byte)'H', (byte)'D') => MetaCode.Done,
            ((byte)'E', (byte)'N') => MetaCode.Miss,
            ((byte)'N', (byte)'F') => MetaCode.NotFound,
            ((byte)'N', (byte)'S') => MetaCode.NotStored,
            ((byte)'E', (byte)'X') => MetaCode.Exists,
            ((byte)'M', (byte)'N') => MetaCode.Noop,
            _ => throw Garbage(server, line),
        };
        var rest = line.Length > 3 ? line[3..] : [];
        var size = -1;
        if (code == MetaCode.Value)
        {
            var token = NextToken(ref rest);
            if (!Utf8Parser.TryParse(token, out size, out var used) || used != token.Length || size < 0 || size > MaxData) throw Garbage(server, line);
        }
        uint flags = 0, opaque = 0;
        var hasOpaque = false;
        while (rest.Length > 0)
        {
            var token = NextToken(ref rest);
            if (token.Length < 1) continue;
            if (token[0] == (byte)'f' && !(Utf8Parser.TryParse(token[1..], out flags, out var n) && n == token.Length - 1)) throw Garbage(server, line);
            if (token[0] == (byte)'O')
            {
                if (!(Utf8Parser.TryParse(token[1..], out opaque, out var m) && m == token.Length - 1)) throw Garbage(server, line);
                hasOpaque = true;
            }
        }
        byte[]? data = null;
        if (code == MetaCode.Value)
        {
            if (r.Remaining < size + 2L) return false;
            data = GC.AllocateUninitializedArray<byte>(size);
            r.TryCopyTo(data);
            r.Advance(size);
            if (!r.IsNext("\r\n"u8, advancePast: true)) throw Garbage(server, "a value not followed by CR LF");
        }
        reply = new MetaReply(code, opaque, hasOpaque, flags, data, null);
        reader = r;
        return true;
    }

    /// <summary>The next space-separated token of a line, moving past it.</summary>
    public static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> rest)
    {
        while (rest.Length > 0 && rest[0] == (byte)' ') rest = rest[1..];
        var end = rest.IndexOf((byte)' ');
        if (end < 0) end = rest.Length;
        var token = rest[..end];
        rest = rest[end..];
        return token;
    }

    public static MemcachedException Garbage(string server, ReadOnlySpan<byte> line)
    {
        var text = System.Text.Encoding.ASCII.GetString(line[..Math.Min(line.Length, 80)]);
        return Garbage(server, $"the reply '{text}'");
    }

    public static MemcachedException Garbage(string server, string what) =>
        new(MemcachedErrorKind.Protocol, server, $"unexpected {what}; the connection was reset");
}
