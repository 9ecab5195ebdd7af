namespace Backend.Memcached.Client;

/// <summary>Counters of a client, for metrics: plain fields updated with Interlocked, read as properties.</summary>
internal sealed class MemcachedCounters
{
    internal long RequestCount, TimeoutCount, FailFastCount, ConnectCount, ConnectFailureCount, ConnectionLostCount, ServerErrorCount;

    /// <summary>Calls sent to a server (a multi-key get counts once per server).</summary>
    public long Requests => Interlocked.Read(ref RequestCount);

    /// <summary>Calls without a reply in time: the first resets its connection and marks the server dead, the others
    /// in flight on that connection fail with it.</summary>
    public long Timeouts => Interlocked.Read(ref TimeoutCount);

    /// <summary>Calls refused at once because their server was marked dead.</summary>
    public long FailedFast => Interlocked.Read(ref FailFastCount);

    /// <summary>Connections opened.</summary>
    public long Connects => Interlocked.Read(ref ConnectCount);

    /// <summary>Connection attempts that failed (refused, unreachable, too slow).</summary>
    public long ConnectFailures => Interlocked.Read(ref ConnectFailureCount);

    /// <summary>Calls failed by a connection that broke under them (other than by their own timeout).</summary>
    public long ConnectionsLost => Interlocked.Read(ref ConnectionLostCount);

    /// <summary>Calls answered with an error by the server (SERVER_ERROR, CLIENT_ERROR, ERROR).</summary>
    public long ServerErrors => Interlocked.Read(ref ServerErrorCount);
}

/// <summary>One server of a client: its connection, opened on first use and again after it broke, and its health.
/// A server that refused a connection or let a call time out is dead for the retry interval: its calls fail at
/// once (no connect attempt, no wait) until then, and the first call after it connects again.</summary>
internal sealed class MemcachedServer(MemcachedAddress address, MemcachedClientOptions options, MemcachedCounters counters)
{
    private readonly Lock _lock = new();
    private MemcachedConnection? _connection;
    private Task<MemcachedConnection>? _connecting;
    private long _deadUntil; // a TimeProvider timestamp; 0 = alive
    private bool _disposed;

    public MemcachedAddress Address { get; } = address;

    /// <summary>"host:port", as written in the options (its name on the ring and in errors).</summary>
    public string Name { get; } = address.ToString();

    /// <summary>True while the server is left alone after a failure.</summary>
    public bool IsDead
    {
        get
        {
            lock (_lock) return _deadUntil != 0 && options.TimeProvider.GetTimestamp() < _deadUntil;
        }
    }

    /// <summary>Hands a request to the server's connection (opening one when needed) and returns its reply task.</summary>
    public Task<T> SendAsync<T>(MemcachedOp<T> op)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is { IsBroken: false })
        {
            connection.Send(op);
            return op.Task;
        }
        return ConnectAndSendAsync(op);
    }

    private async Task<T> ConnectAndSendAsync<T>(MemcachedOp<T> op)
    {
        var connection = await GetConnectionAsync();
        connection.Send(op);
        return await op.Task;
    }

    /// <summary>The live connection, or a new one. One attempt at a time is shared by every caller; it is not
    /// cancelled by any of them (each waits on it with its own timeout and token).</summary>
    public Task<MemcachedConnection> GetConnectionAsync()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsBroken: false } live) return Task.FromResult(live);
            if (_connecting is not null) return _connecting;
            if (_deadUntil != 0 && options.TimeProvider.GetTimestamp() < _deadUntil)
            {
                Interlocked.Increment(ref counters.FailFastCount);
                return Task.FromException<MemcachedConnection>(new MemcachedException(MemcachedErrorKind.Unavailable, Name,
                    $"marked dead after a failure, retried after {options.RetryInterval.TotalMilliseconds:0} ms"));
            }
            return _connecting = ConnectAsync();
        }
    }

    private async Task<MemcachedConnection> ConnectAsync()
    {
        // Off the caller's lock: ConnectAsync may complete synchronously.
        await Task.Yield();
        try
        {
            var connection = await MemcachedConnection.OpenAsync(Address, options.EffectiveConnectTimeout, options.TimeProvider, CancellationToken.None);
            Interlocked.Increment(ref counters.ConnectCount);
            lock (_lock)
            {
                _connecting = null;
                if (_disposed)
                {
                    connection.Break(new ObjectDisposedException(nameof(MemcachedClient)));
                    throw new ObjectDisposedException(nameof(MemcachedClient));
                }
                _connection = connection;
                _deadUntil = 0;
            }
            return connection;
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            Interlocked.Increment(ref counters.ConnectFailureCount);
            lock (_lock)
            {
                _connecting = null;
                MarkDeadLocked();
            }
            throw new MemcachedException(MemcachedErrorKind.Unavailable, Name, "cannot connect: " + ex.Message, ex);
        }
    }

    /// <summary>A call on this server timed out: its connection can no longer be trusted (a reply may still come)
    /// and is closed; the server is dead for the retry interval.</summary>
    public void TimedOut(MemcachedOp op)
    {
        op.Connection?.Break(new MemcachedException(MemcachedErrorKind.Timeout, Name, $"a call got no reply within {options.Timeout.TotalMilliseconds:0} ms; the connection was reset"));
        lock (_lock) MarkDeadLocked();
    }

    private void MarkDeadLocked() => _deadUntil = options.TimeProvider.GetTimestamp() + (long)(options.RetryInterval.TotalSeconds * options.TimeProvider.TimestampFrequency);

    public void Dispose()
    {
        MemcachedConnection? connection;
        lock (_lock)
        {
            _disposed = true;
            connection = _connection;
            _connection = null;
        }
        connection?.Break(new ObjectDisposedException(nameof(MemcachedClient)));
    }
}
