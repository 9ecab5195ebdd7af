namespace Backend.Memcached.Client;

/// <summary>Settings of a <see cref="MemcachedClient"/>.</summary>
internal sealed class MemcachedClientOptions
{
    /// <summary>memcached's default item size limit (<c>-I 1m</c>); the item's header and key count against it too.</summary>
    public const int DefaultMaxValueSize = 1024 * 1024;

    /// <summary>The servers, "host:port" ("host" alone is port 11211, "[::1]:11211" for IPv6). The text as written is
    /// the server's name on the hash ring, so every process must list a server the same way to agree on where keys live.</summary>
    public IList<string> Servers { get; } = [];

    /// <summary>How long a call may take, connecting included. Past it the call fails, the connection it was sent on
    /// is closed (so its late reply can never be taken for another call's) and the server is marked dead.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long opening a connection may take; by default <see cref="Timeout"/>.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>How long a server that refused a connection or timed out is left alone: its calls fail at once
    /// (<see cref="MemcachedErrorKind.Unavailable"/>) until then, and the first call after it tries to connect again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest value accepted; a larger one is an <see cref="ArgumentException"/> before anything is sent.
    /// Raise it together with the servers' <c>-I</c>.</summary>
    public int MaxValueSize { get; set; } = DefaultMaxValueSize;

    /// <summary>The clock of the retry interval and the timeouts (tests give a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal TimeSpan EffectiveConnectTimeout => ConnectTimeout ?? Timeout;

    internal void Validate()
    {
        if (Servers.Count == 0) throw new ArgumentException("memcached: no server given", nameof(Servers));
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "memcached: the timeout must be positive");
        if (EffectiveConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "memcached: the connect timeout must be positive");
        if (RetryInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryInterval), RetryInterval, "memcached: the retry interval cannot be negative");
        if (MaxValueSize <= 0) throw new ArgumentOutOfRangeException(nameof(MaxValueSize), MaxValueSize, "memcached: the value size limit must be positive");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
