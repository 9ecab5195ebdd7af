using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Backend.Memcached.Client;

/// <summary>One request on a connection and the reading of its reply. Requests are written in the order they are
/// queued and memcached answers in that order, so the connection gives each arriving reply to the oldest request
/// still waiting. Meta commands also carry an opaque (O, the connection's sequence number) that the server echoes:
/// a reply echoing another number means the stream is out of step, and the connection is reset rather than
/// giving a value to the wrong caller.</summary>
internal abstract class MemcachedOp
{
    private const int Queued = 0, Writing = 1, Written = 2, Abandoned = 3;
    private int _state;

    /// <summary>The connection the request was handed to (null while connecting).</summary>
    public MemcachedConnection? Connection { get; set; }

    /// <summary>Called by the writer before writing: false when the caller gave up first (nothing is sent then).</summary>
    public bool TryBeginWrite() => Interlocked.CompareExchange(ref _state, Writing, Queued) == Queued;

    public void EndWrite() => Volatile.Write(ref _state, Written);

    /// <summary>The caller gives up (cancelled or timed out). When the request is being written this waits for the
    /// copy to end, so the caller's value memory is never read after its call returned; a request not written yet
    /// is never written. The reply of a written one is still read (and dropped) to keep the stream in step.</summary>
    public void Abandon()
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Writing) spin.SpinOnce();
        Cancel();
    }

    /// <summary>Writes the request; <paramref name="opaque"/> is the connection's counter, advanced per command.</summary>
    public abstract void Write(IBufferWriter<byte> output, ref uint opaque);

    /// <summary>Reads the reply (or the next part of it): true when the request is answered in full. Throws a
    /// <see cref="MemcachedException"/> of kind Protocol when the bytes are not the expected reply.</summary>
    public abstract bool TryRead(ref SequenceReader<byte> reader, string server);

    public abstract void Fail(Exception error);

    protected abstract void Cancel();

    protected static void WriteKey(IBufferWriter<byte> output, ReadOnlySpan<byte> command, byte[] key)
    {
        MemcachedProtocol.Write(output, command);
        MemcachedProtocol.Write(output, key);
    }

    protected static void CheckOpaque(in MetaReply reply, uint expected, string server)
    {
        if (reply.Code != MetaCode.Error && (!reply.HasOpaque || reply.Opaque != expected))
            throw MemcachedProtocol.Garbage(server, $"reply for request {(reply.HasOpaque ? reply.Opaque : 0)} where {expected} was next");
    }
}

internal abstract class MemcachedOp<T> : MemcachedOp
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _done.Task;

    protected void Complete(T value) => _done.TrySetResult(value);

    public override void Fail(Exception error) => _done.TrySetException(error);

    protected override void Cancel() => _done.TrySetCanceled();
}

/// <summary>A value and its client flags.</summary>
internal sealed record MemcachedItem(byte[] Value, uint Flags)
{
    public string AsString() => Encoding.UTF8.GetString(Value);
}

/// <summary>mg of one or more keys of one server, pipelined: "mg KEY v f O#" each, one reply each (VA or EN).</summary>
internal sealed class GetOp(byte[][] keys) : MemcachedOp<MemcachedItem?[]>
{
    private readonly MemcachedItem?[] _items = new MemcachedItem?[keys.Length];
    private uint _opaque;
    private int _read;
    private MemcachedException? _error;

    public override void Write(IBufferWriter<byte> output, ref uint opaque)
    {
        _opaque = opaque + 1;
        foreach (var key in keys)
        {
            WriteKey(output, "mg "u8, key);
            MemcachedProtocol.Write(output, " v f"u8);
            MemcachedProtocol.WriteFlag(output, (byte)'O', ++opaque);
            MemcachedProtocol.Write(output, "\r\n"u8);
        }
    }

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        while (_read < keys.Length)
        {
            if (!MemcachedProtocol.TryReadMeta(ref reader, server, out var reply)) return false;
            CheckOpaque(reply, unchecked(_opaque + (uint)_read), server);
            switch (reply.Code)
            {
                case MetaCode.Value: _items[_read] = new MemcachedItem(reply.Data!, reply.Flags); break;
                case MetaCode.Miss: break;
                case MetaCode.Error: _error ??= reply.Error; break;
                default: throw MemcachedProtocol.Garbage(server, $"mg reply {reply.Code}");
            }
            _read++;
        }
        if (_error is not null) Fail(_error);
        else Complete(_items);
        return true;
    }
}

/// <summary>ms: set, or add (mode E: stored only when the key is missing). True when stored.</summary>
internal sealed class StoreOp(byte[] key, ReadOnlyMemory<byte> value, long exptime, uint flags, bool add) : MemcachedOp<bool>
{
    private uint _opaque;

    public override void Write(IBufferWriter<byte> output, ref uint opaque)
    {
        _opaque = ++opaque;
        WriteKey(output, "ms "u8, key);
        MemcachedProtocol.Write(output, " "u8);
        MemcachedProtocol.WriteNumber(output, (ulong)value.Length);
        // T-1 (an exptime in the past) stores an item that is already gone, as memcached's own negative TTL does.
        if (exptime < 0) MemcachedProtocol.Write(output, " T-1"u8);
        else MemcachedProtocol.WriteFlag(output, (byte)'T', (ulong)exptime);
        if (flags != 0) MemcachedProtocol.WriteFlag(output, (byte)'F', flags);
        MemcachedProtocol.WriteFlag(output, (byte)'O', _opaque);
        if (add) MemcachedProtocol.Write(output, " ME"u8);
        MemcachedProtocol.Write(output, "\r\n"u8);
        MemcachedProtocol.Write(output, value.Span);
        MemcachedProtocol.Write(output, "\r\n"u8);
    }

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        if (!MemcachedProtocol.TryReadMeta(ref reader, server, out var reply)) return false;
        CheckOpaque(reply, _opaque, server);
        switch (reply.Code)
        {
            case MetaCode.Done: Complete(true); break;
            case MetaCode.NotStored or MetaCode.NotFound or MetaCode.Exists: Complete(false); break;
            case MetaCode.Error: Fail(reply.Error!); break;
            default: throw MemcachedProtocol.Garbage(server, $"ms reply {reply.Code}");
        }
        return true;
    }
}

/// <summary>md: true when the key was there.</summary>
internal sealed class DeleteOp(byte[] key) : MemcachedOp<bool>
{
    private uint _opaque;

    public override void Write(IBufferWriter<byte> output, ref uint opaque)
    {
        _opaque = ++opaque;
        WriteKey(output, "md "u8, key);
        MemcachedProtocol.WriteFlag(output, (byte)'O', _opaque);
        MemcachedProtocol.Write(output, "\r\n"u8);
    }

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        if (!MemcachedProtocol.TryReadMeta(ref reader, server, out var reply)) return false;
        CheckOpaque(reply, _opaque, server);
        switch (reply.Code)
        {
            case MetaCode.Done: Complete(true); break;
            case MetaCode.NotFound: Complete(false); break;
            case MetaCode.Error: Fail(reply.Error!); break;
            default: throw MemcachedProtocol.Garbage(server, $"md reply {reply.Code}");
        }
        return true;
    }
}

/// <summary>ma: incr or decr by a delta, atomically in the server. With an initial value a missing counter is created
/// holding it (N: autovivify with that exptime, J: the initial value); without, a miss is null.</summary>
internal sealed class ArithmeticOp(byte[] key, ulong delta, bool decrement, ulong? initial, long exptime) : MemcachedOp<ulong?>
{
    private uint _opaque;

    public override void Write(IBufferWriter<byte> output, ref uint opaque)
    {
        _opaque = ++opaque;
        WriteKey(output, "ma "u8, key);
        MemcachedProtocol.WriteFlag(output, (byte)'D', delta);
        if (decrement) MemcachedProtocol.Write(output, " MD"u8);
        if (initial is { } j)
        {
            if (exptime < 0) MemcachedProtocol.Write(output, " N-1"u8);
            else MemcachedProtocol.WriteFlag(output, (byte)'N', (ulong)exptime);
            MemcachedProtocol.WriteFlag(output, (byte)'J', j);
        }
        MemcachedProtocol.Write(output, " v"u8);
        MemcachedProtocol.WriteFlag(output, (byte)'O', _opaque);
        MemcachedProtocol.Write(output, "\r\n"u8);
    }

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        if (!MemcachedProtocol.TryReadMeta(ref reader, server, out var reply)) return false;
        CheckOpaque(reply, _opaque, server);
        switch (reply.Code)
        {
            case MetaCode.Value:
                if (!Utf8Parser.TryParse(reply.Data, out ulong value, out var n) || n != reply.Data!.Length)
                    throw MemcachedProtocol.Garbage(server, "a counter value that is not a number");
                Complete(value);
                break;
            case MetaCode.NotFound: Complete(null); break;
            case MetaCode.NotStored or MetaCode.Exists:
                Fail(new MemcachedException(MemcachedErrorKind.ServerError, server, $"the counter could not be created ({reply.Code})"));
                break;
            case MetaCode.Error: Fail(reply.Error!); break;
            default: throw MemcachedProtocol.Garbage(server, $"ma reply {reply.Code}");
        }
        return true;
    }
}

/// <summary>mn: a no-op whose reply (MN) proves the server and the stream are alive.</summary>
internal sealed class NoopOp : MemcachedOp<bool>
{
    public override void Write(IBufferWriter<byte> output, ref uint opaque) => MemcachedProtocol.Write(output, "mn\r\n"u8);

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        if (!MemcachedProtocol.TryReadMeta(ref reader, server, out var reply)) return false;
        if (reply.Code == MetaCode.Error) Fail(reply.Error!);
        else if (reply.Code == MetaCode.Noop) Complete(true);
        else throw MemcachedProtocol.Garbage(server, $"mn reply {reply.Code}");
        return true;
    }
}

/// <summary>A classic command answered by one line ("flush_all" answered "OK").</summary>
internal sealed class LineOp(byte[] command, string expected) : MemcachedOp<bool>
{
    public override void Write(IBufferWriter<byte> output, ref uint opaque) => MemcachedProtocol.Write(output, command);

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        if (!MemcachedProtocol.TryReadLine(ref reader, server, out var line)) return false;
        if (MemcachedProtocol.ErrorOf(line, server) is { } error) Fail(error);
        else if (line.SequenceEqual(Encoding.ASCII.GetBytes(expected))) Complete(true);
        else throw MemcachedProtocol.Garbage(server, line);
        return true;
    }
}

/// <summary>"stats": "STAT name value" lines, then "END".</summary>
internal sealed class StatsOp : MemcachedOp<IReadOnlyDictionary<string, string>>
{
    private readonly Dictionary<string, string> _stats = new(StringComparer.Ordinal);

    public override void Write(IBufferWriter<byte> output, ref uint opaque) => MemcachedProtocol.Write(output, "stats\r\n"u8);

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        while (true)
        {
            if (!MemcachedProtocol.TryReadLine(ref reader, server, out var line)) return false;
            if (line.SequenceEqual("END"u8))
            {
                Complete(_stats);
                return true;
            }
            if (MemcachedProtocol.ErrorOf(line, server) is { } error)
            {
                Fail(error);
                return true;
            }
            if (!line.StartsWith("STAT "u8)) throw MemcachedProtocol.Garbage(server, line);
            var rest = line[5..];
            var name = MemcachedProtocol.NextToken(ref rest);
            _stats[Encoding.ASCII.GetString(name)] = Encoding.ASCII.GetString(rest.TrimStart((byte)' '));
        }
    }
}

/// <summary>One key of a key listing.</summary>
/// <param name="Key">The key.</param>
/// <param name="Expires">When it expires (unix seconds), null when never.</param>
/// <param name="Size">The item's size in the server (key, value and header).</param>
/// <param name="Server">The server holding it.</param>
internal sealed record MemcachedKeyInfo(string Key, long? Expires, int Size, string Server);

/// <summary>"lru_crawler metadump all": one "key=K exp=E la=.. cas=.. fetch=.. cls=.. size=S" line per item
/// (keys URL-encoded), then "END"; "BUSY ..." when a crawl is already running. Sent on a connection of its own.</summary>
internal sealed class MetadumpOp(int limit, string? prefix) : MemcachedOp<IReadOnlyList<MemcachedKeyInfo>>
{
    private readonly List<MemcachedKeyInfo> _keys = [];

    public override void Write(IBufferWriter<byte> output, ref uint opaque) => MemcachedProtocol.Write(output, "lru_crawler metadump all\r\n"u8);

    public override bool TryRead(ref SequenceReader<byte> reader, string server)
    {
        while (true)
        {
            if (!MemcachedProtocol.TryReadLine(ref reader, server, out var line)) return false;
            if (line.SequenceEqual("END"u8))
            {
                Complete(_keys);
                return true;
            }
            if (line.StartsWith("BUSY"u8))
            {
                Fail(new MemcachedException(MemcachedErrorKind.ServerError, server, Encoding.ASCII.GetString(line)));
                return true;
            }
            // The crawler could not take its lock (another crawl or the LRU maintainer holds it; seen under load in
            // CI, where it cut one server's dump short): busy too, so the listing waits and tries again.
            if (line.SequenceEqual("ERROR locked try again later"u8))
            {
                Fail(new MemcachedException(MemcachedErrorKind.ServerError, server, "BUSY: " + Encoding.ASCII.GetString(line)));
                return true;
            }
            if (MemcachedProtocol.ErrorOf(line, server) is { } error)
            {
                Fail(error);
                return true;
            }
            if (!line.StartsWith("key="u8)) throw MemcachedProtocol.Garbage(server, line);
            // The rest of the dump is still read (the stream must reach END) but not kept past the limit.
            if (_keys.Count < limit && Parse(line, server) is { } info && (prefix is null || info.Key.StartsWith(prefix, StringComparison.Ordinal)))
                _keys.Add(info);
        }
    }

    private static MemcachedKeyInfo? Parse(ReadOnlySpan<byte> line, string server)
    {
        string? key = null;
        long? expires = null;
        var size = 0;
        var rest = line;
        while (rest.Length > 0)
        {
            var token = MemcachedProtocol.NextToken(ref rest);
            if (token.StartsWith("key="u8)) key = Uri.UnescapeDataString(Encoding.UTF8.GetString(token[4..]));
            else if (token.StartsWith("exp="u8) && Utf8Parser.TryParse(token[4..], out long e, out _)) expires = e < 0 ? null : e;
            else if (token.StartsWith("size="u8) && !Utf8Parser.TryParse(token[5..], out size, out _)) size = 0;
        }
        return key is null ? null : new MemcachedKeyInfo(key, expires, size, server);
    }
}
