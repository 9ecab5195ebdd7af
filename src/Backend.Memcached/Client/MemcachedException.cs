namespace Backend.Memcached.Client;

/// <summary>Why a memcached call failed. The cache layer above treats all of them as a miss (or a failed write);
/// the kind is for logs and metrics.</summary>
internal enum MemcachedErrorKind
{
    /// <summary>The server refused the connection, or is marked dead after a failure and not retried yet (fail fast).</summary>
    Unavailable,

    /// <summary>No reply within the call's timeout: the connection was reset and the server marked dead.</summary>
    Timeout,

    /// <summary>The connection broke (closed by the server, I/O error) while the call was in flight.</summary>
    ConnectionLost,

    /// <summary>The server answered <c>SERVER_ERROR</c> (say, "object too large for cache" or out of memory).</summary>
    ServerError,

    /// <summary>The server answered <c>CLIENT_ERROR</c> or <c>ERROR</c> (say, incr of a value that is not a number).</summary>
    ClientError,

    /// <summary>A reply the client could not understand or match: the connection was reset.</summary>
    Protocol,
}

/// <summary>A memcached call that did not succeed. Bad input (keys, value sizes, arguments) is an
/// <see cref="ArgumentException"/> thrown before anything is sent.</summary>
internal sealed class MemcachedException : Exception
{
    public MemcachedException(MemcachedErrorKind kind, string server, string message, Exception? inner = null)
        : base($"memcached {server}: {message}", inner)
    {
        Kind = kind;
        Server = server;
    }

    public MemcachedErrorKind Kind { get; }

    /// <summary>The server ("host:port") the call went to.</summary>
    public string Server { get; }
}
