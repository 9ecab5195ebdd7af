using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Backend.Memcached.Client;

/// <summary>One TCP connection to one server, shared by every call: requests are pipelined (any number in flight),
/// replies matched in order. A writer loop takes queued requests, appends each to the in-flight queue and writes
/// it, and flushes once the queue is empty (so concurrent calls share writes); a reader loop parses what arrives
/// and completes the oldest in-flight request. Any failure (I/O error, end of stream, a reply out of step, a call
/// timing out) breaks the connection for good: the socket is closed, every request on it fails, and the server
/// opens a new one. So a late reply can only ever reach a closed socket.</summary>
internal sealed class MemcachedConnection
{
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<MemcachedOp> _queue = Channel.CreateUnbounded<MemcachedOp>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<MemcachedOp> _inFlight = new();
    private Exception? _failure;
    private uint _opaque;

    private MemcachedConnection(Socket socket, string server)
    {
        _socket = socket;
        Server = server;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024));
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(ReadLoopAsync);
    }

    public string Server { get; }

    /// <summary>True once the connection failed or was closed; it is never used again.</summary>
    public bool IsBroken => Volatile.Read(ref _failure) is not null;

    /// <summary>Connects within <paramref name="timeout"/> (the cancellation of <paramref name="token"/> too).</summary>
    public static async Task<MemcachedConnection> OpenAsync(MemcachedAddress address, TimeSpan timeout, TimeProvider time, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var limit = new CancellationTokenSource(timeout, time);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, token);
            try
            {
                await socket.ConnectAsync(address.Host, address.Port, both.Token);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"no connection within {timeout.TotalMilliseconds:0} ms");
            }
            return new MemcachedConnection(socket, address.ToString());
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues a request; it fails at once when the connection is broken.</summary>
    public void Send(MemcachedOp op)
    {
        op.Connection = this;
        if (!_queue.Writer.TryWrite(op)) op.Fail(Failure());
        // Broken between the check and the write: the drain in Break may have run before the op was queued.
        else if (IsBroken) Drain();
    }

    /// <summary>Breaks the connection: closes the socket and fails every request that has not been answered.</summary>
    public void Break(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _failure, cause, null) is not null) return;
        _queue.Writer.TryComplete();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already gone
        }
        catch (ObjectDisposedException)
        {
            // already closed
        }
        // Closing the socket ends both loops: the reader's read fails, the writer finds its queue completed.
        _socket.Dispose();
        Drain();
    }

    private MemcachedException Failure() => Volatile.Read(ref _failure) switch
    {
        MemcachedException m => m,
        { } e => new MemcachedException(MemcachedErrorKind.ConnectionLost, Server, "the connection was lost: " + e.Message, e),
        null => new MemcachedException(MemcachedErrorKind.ConnectionLost, Server, "the connection was closed"),
    };

    private void Drain()
    {
        var error = Failure();
        while (_inFlight.TryDequeue(out var op)) op.Fail(error);
        while (_queue.Reader.TryRead(out var op)) op.Fail(error);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var reader = _queue.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var op))
                {
                    if (!op.TryBeginWrite()) continue;
                    try
                    {
                        // In flight before a byte of it is written: its reply cannot arrive before it is in the queue.
                        _inFlight.Enqueue(op);
                        op.Write(_output, ref _opaque);
                    }
                    finally
                    {
                        op.EndWrite();
                    }
                }
                var flushed = await _output.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (Exception ex)
        {
            Break(ex);
        }
        finally
        {
            Break(new IOException("the connection was closed"));
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync();
                var buffer = result.Buffer;
                var consumed = Parse(buffer);
                _input.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted) throw new IOException("the server closed the connection");
            }
        }
        catch (Exception ex)
        {
            Break(ex);
        }
    }

    // Gives every complete reply in the buffer to its request; returns how far the replies went.
    private SequencePosition Parse(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            // A reply can only be for a request already in flight (it was queued before it was written).
            if (!_inFlight.TryPeek(out var op)) throw MemcachedProtocol.Garbage(Server, "bytes that answer no request");
            if (!op.TryRead(ref reader, Server)) break;
            _inFlight.TryDequeue(out _);
        }
        return reader.Position;
    }
}
