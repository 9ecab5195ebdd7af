using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backend.Tests.Fuzz;

/// <summary>How the bytes of a request are put on the wire.</summary>
public enum WireMode
{
    /// <summary>The whole request as built, on a kept-alive connection.</summary>
    Normal,

    /// <summary>The request, then the sending half of the connection is shut: a body shorter than its
    /// Content-Length claim ends early.</summary>
    ShutdownAfterSend,

    /// <summary>Only the head (request line and headers); the claimed body is never sent, so the connection is
    /// closed after the answer.</summary>
    HeadOnly,
}

/// <summary>An HTTP answer as read off the socket.</summary>
/// <param name="Status">Status code.</param>
/// <param name="Headers">Header names lower-cased; repeated headers joined with ", ".</param>
/// <param name="Body">The body bytes (de-chunked).</param>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The body as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The Content-Type header, or null.</summary>
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

/// <summary>A minimal HTTP/1.1 client over one TCP connection, for requests <see cref="HttpClient"/> refuses to send:
/// raw bytes in the target, malformed headers, Content-Length claims that do not match the body, broken chunking.
/// Keeps the connection alive between requests unless the server or the <see cref="WireMode"/> ends it.</summary>
public sealed class RawHttpConnection(IPEndPoint server) : IDisposable
{
    private const int MaxHead = 256 * 1024;
    private Socket? _socket;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Sends one request and reads its answer; null when the server closed the connection without one.
    /// Throws <see cref="TimeoutException"/> when no complete answer arrives within <paramref name="timeout"/>.</summary>
    public async Task<RawResponse?> SendAsync(byte[] request, WireMode mode, bool isHead, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        // A kept-alive connection the server closed meanwhile fails on first use: try once more on a new one.
        for (var attempt = 0; ; attempt++)
        {
            var reused = _socket is not null;
            try
            {
                var socket = await Connect(cts.Token);
                await socket.SendAsync(request, SocketFlags.None, cts.Token);
                if (mode == WireMode.ShutdownAfterSend) socket.Shutdown(SocketShutdown.Send);
                var response = await ReadResponse(isHead, cts.Token);
                if (response is null || mode != WireMode.Normal || response.Headers.GetValueOrDefault("connection")?.Contains("close", StringComparison.OrdinalIgnoreCase) == true)
                    Close();
                if (response is null && reused && attempt == 0 && mode == WireMode.Normal) continue;
                return response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Close();
                throw new TimeoutException($"no answer within {timeout.TotalSeconds:F0} s");
            }
            catch (SocketException) when (reused && attempt == 0)
            {
                Close();
            }
            catch (SocketException)
            {
                Close();
                return null;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private async Task<Socket> Connect(CancellationToken cancellationToken)
    {
        if (_socket is { } open) return open;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _start = _end = 0;
        return _socket = socket;
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    /// <summary>Reads more bytes into the buffer; false at the end of the stream.</summary>
    private async Task<bool> Fill(CancellationToken cancellationToken)
    {
        if (_start > 0 && _start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }
        var n = await _socket!.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        _end += n;
        return n > 0;
    }

    private async Task<RawResponse?> ReadResponse(bool isHead, CancellationToken cancellationToken)
    {
        while (true)
        {
            var head = await ReadHead(cancellationToken);
            if (head is null) return null;
            var (status, headers) = head.Value;
            // An interim answer (100 Continue) is followed by the real one.
            if (status is >= 100 and < 200) continue;
            byte[] body;
            if (isHead || status is 204 or 304) body = [];
            else if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                body = await ReadChunked(cancellationToken) ?? throw new IOException("truncated chunked body");
            else if (headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, out var length))
                body = await ReadExactly((int)length, cancellationToken) ?? throw new IOException("truncated body");
            else body = await ReadToEnd(cancellationToken);
            return new RawResponse(status, headers, body);
        }
    }

    private async Task<(int Status, Dictionary<string, string> Headers)?> ReadHead(CancellationToken cancellationToken)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (_end - _start > MaxHead) throw new IOException("response head too large");
            if (!await Fill(cancellationToken))
            {
                if (_end > _start) throw new IOException("connection closed in the response head");
                return null;
            }
        }
        var text = Encoding.Latin1.GetString(_buffer, _start, end);
        _start += end + 4;
        var lines = text.Split("\r\n");
        var parts = lines[0].Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
            throw new IOException($"bad status line: {lines[0]}");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var old) ? old + ", " + value : value;
        }
        return (status, headers);
    }

    private async Task<byte[]?> ReadExactly(int length, CancellationToken cancellationToken)
    {
        while (_end - _start < length)
        {
            if (!await Fill(cancellationToken)) return null;
        }
        var body = _buffer.AsSpan(_start, length).ToArray();
        _start += length;
        return body;
    }

    private async Task<byte[]> ReadToEnd(CancellationToken cancellationToken)
    {
        while (await Fill(cancellationToken))
        {
            // until the server closes
        }
        var body = _buffer.AsSpan(_start, _end - _start).ToArray();
        _start = _end;
        return body;
    }

    private async Task<byte[]?> ReadChunked(CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLine(cancellationToken);
            if (line is null) return null;
            var semi = line.IndexOf(';', StringComparison.Ordinal);
            var size = Convert.ToInt32(semi >= 0 ? line[..semi] : line, 16);
            if (size == 0)
            {
                // trailers, then the empty line
                while (await ReadLine(cancellationToken) is { Length: > 0 })
                {
                }
                return body.ToArray();
            }
            var chunk = await ReadExactly(size, cancellationToken);
            if (chunk is null) return null;
            body.Write(chunk);
            if (await ReadLine(cancellationToken) is null) return null;
        }
    }

    private async Task<string?> ReadLine(CancellationToken cancellationToken)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (!await Fill(cancellationToken)) return null;
        }
        var line = Encoding.Latin1.GetString(_buffer, _start, end);
        _start += end + 2;
        return line;
    }
}
