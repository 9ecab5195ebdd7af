namespace Backend.Cache;

/// <summary>A cache call that could not be answered: the cache server unreachable, a timeout, or a bad key or value
/// (<see cref="IsBadInput"/>). The Db read cache treats a server failure as a miss and reads the database.</summary>
public sealed class CacheException : Exception
{
    /// <summary>A server failure.</summary>
    public CacheException() : this("cache unavailable") { }

    /// <summary>A server failure.</summary>
    public CacheException(string message) : base(message) { }

    /// <summary>A server failure with its cause.</summary>
    public CacheException(string message, Exception inner) : base(message, inner) { }

    /// <summary>True when the call itself was wrong (an invalid key, a value over the server's limit), not the server.</summary>
    public bool IsBadInput { get; init; }
}
