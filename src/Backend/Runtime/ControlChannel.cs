using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>One message on a control connection: a JSON object on one line.</summary>
/// <param name="Op"><c>hello</c> (child, first), <c>ready</c> (child: serving), <c>restart</c> (child: asks for a
/// rolling restart of the Web workers), <c>stop</c> (parent: finish the work in hand and exit).</param>
/// <param name="Id">The child's id.</param>
/// <param name="Pid">The child's process id.</param>
/// <param name="Token">The secret of <c>hello</c>.</param>
/// <param name="Data">Anything else the op carries.</param>
internal sealed record ControlMessage(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("id")] string? Id = null,
    [property: JsonPropertyName("pid")] int Pid = 0,
    [property: JsonPropertyName("token")] string? Token = null,
    [property: JsonPropertyName("data")] JsonElement? Data = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlMessage))]
internal sealed partial class ControlJson : JsonSerializerContext;

/// <summary>The parent's end: a listening abstract Unix socket (Linux; nothing on disk to clean up) that the children
/// it starts connect to. A connection that does not open with the parent's token is closed. Messages from children
/// arrive on <see cref="Messages"/>; <see cref="SendAsync"/> writes to one child.</summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, ControlConnection> _children = new(StringComparer.Ordinal);
    private readonly Channel<ControlMessage> _messages = Channel.CreateUnbounded<ControlMessage>();
    private readonly Task _accepting;

    public ControlServer(ILogger logger)
    {
        _logger = logger;
        Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        Address = $"bkcs-{Environment.ProcessId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4))}";
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint("\0" + Address));
        _listener.Listen(64);
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The socket's abstract name (without the leading NUL), for <see cref="ChildVariables.Control"/>.</summary>
    public string Address { get; }

    /// <summary>The secret children send in their hello.</summary>
    public string Token { get; }

    /// <summary>Everything children send after their hello, with <see cref="ControlMessage.Id"/> set to the sender.</summary>
    public ChannelReader<ControlMessage> Messages => _messages.Reader;

    /// <summary>The variables a child needs to connect back.</summary>
    public Dictionary<string, string> ChildEnvironment(string id) => new(StringComparer.Ordinal)
    {
        [ChildVariables.Control] = Address,
        [ChildVariables.Token] = Token,
        [ChildVariables.Id] = id,
    };

    /// <summary>Sends <paramref name="message"/> to the child <paramref name="id"/>; false when it is not connected.</summary>
    public async Task<bool> SendAsync(string id, ControlMessage message)
    {
        ControlConnection? connection;
        lock (_children) _children.TryGetValue(id, out connection);
        return connection is not null && await connection.SendAsync(message);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(new ControlConnection(socket));
        }
    }

    private async Task ServeAsync(ControlConnection connection)
    {
        string? id = null;
        try
        {
            using var hello = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(hello.Token, _stop.Token);
            var first = await connection.ReadAsync(linked.Token);
            if (first is not { Op: "hello", Id.Length: > 0 } || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(first.Token ?? ""), Encoding.ASCII.GetBytes(Token)))
            {
                _logger.LogWarning("control socket: a connection without the right hello was closed");
                return;
            }
            id = first.Id;
            lock (_children) _children[id] = connection;
            await _messages.Writer.WriteAsync(first with { Token = null }, _stop.Token);
            while (await connection.ReadAsync(_stop.Token) is { } message)
                await _messages.Writer.WriteAsync(message with { Id = id, Pid = first.Pid, Token = null }, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or JsonException or ObjectDisposedException)
        {
            // the child went away or spoke nonsense: its process exit is what the parent acts on
        }
        finally
        {
            if (id is not null)
            {
                lock (_children)
                {
                    if (_children.TryGetValue(id, out var current) && ReferenceEquals(current, connection)) _children.Remove(id);
                }
            }
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        lock (_children)
        {
            foreach (var c in _children.Values) c.Dispose();
            _children.Clear();
        }
        _messages.Writer.TryComplete();
        _stop.Dispose();
    }
}

/// <summary>The child's end: connects to the parent named by its environment, says hello, then reads the parent's
/// messages. When the parent goes away (killed, even with -9) the connection ends and <see cref="ParentGone"/> fires:
/// a child never outlives its parent.</summary>
internal sealed class ControlClient : IAsyncDisposable
{
    private readonly ControlConnection _connection;
    private readonly CancellationTokenSource _parentGone = new();
    private readonly Task _reading;
    private readonly Func<ControlMessage, Task> _onMessage;

    private ControlClient(ControlConnection connection, Func<ControlMessage, Task> onMessage)
    {
        _connection = connection;
        _onMessage = onMessage;
        _reading = ReadLoopAsync();
    }

    /// <summary>Cancelled when the connection to the parent ends.</summary>
    public CancellationToken ParentGone => _parentGone.Token;

    /// <summary>Connects when the environment names a parent; null otherwise (a process started by hand).</summary>
    public static async Task<ControlClient?> ConnectAsync(IReadOnlyDictionary<string, string> environment, Func<ControlMessage, Task> onMessage, CancellationToken ct)
    {
        if (!environment.TryGetValue(ChildVariables.Control, out var address) || address.Length == 0) return null;
        environment.TryGetValue(ChildVariables.Token, out var token);
        environment.TryGetValue(ChildVariables.Id, out var id);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint("\0" + address), ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new ControlConnection(socket);
        await connection.SendAsync(new ControlMessage("hello", id, Environment.ProcessId, token));
        return new ControlClient(connection, onMessage);
    }

    /// <summary>Sends an op to the parent; false when the parent is gone.</summary>
    public Task<bool> SendAsync(string op) => _connection.SendAsync(new ControlMessage(op));

    /// <summary>Sends a message to the parent; false when the parent is gone.</summary>
    public Task<bool> SendAsync(ControlMessage message) => _connection.SendAsync(message);

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _connection.ReadAsync(CancellationToken.None) is { } message) await _onMessage(message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or JsonException or ObjectDisposedException)
        {
            // treated as the parent gone
        }
        finally
        {
            await _parentGone.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _connection.Dispose();
        await _reading;
        _parentGone.Dispose();
    }
}

/// <summary>JSON lines over a connected Unix socket; writes are serialised.</summary>
internal sealed class ControlConnection(Socket socket) : IDisposable
{
    private const int MaxLine = 16 * 1024 * 1024; // a worker's statistics with their samples (stats-part) are the largest
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _buffer = new byte[4096];
    private readonly MemoryStream _line = new();
    private int _start;
    private int _end;

    public async Task<bool> SendAsync(ControlMessage message)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, ControlJson.Default.ControlMessage);
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
            await _stream.WriteAsync("\n"u8.ToArray());
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The next message; null at the end of the stream.</summary>
    public async Task<ControlMessage?> ReadAsync(CancellationToken ct)
    {
        _line.SetLength(0);
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await _stream.ReadAsync(_buffer, ct);
                if (_end == 0) return null;
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline < 0)
            {
                _line.Write(_buffer, _start, _end - _start);
                _start = _end;
                if (_line.Length > MaxLine) throw new IOException("control message too long");
                continue;
            }
            _line.Write(_buffer, _start, newline - _start);
            _start = newline + 1;
            return JsonSerializer.Deserialize(_line.GetBuffer().AsSpan(0, (int)_line.Length), ControlJson.Default.ControlMessage);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _writeLock.Dispose();
    }
}
