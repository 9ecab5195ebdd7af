using System.Text;

namespace Backend.Memcached.Client;

/// <summary>Key rules of memcached's text protocol: 1 to 250 bytes (UTF-8 here), none of them a space or a control
/// character, since the key is one token of a command line. Keys breaking them are refused with an
/// <see cref="ArgumentException"/>, not hashed: a hashed key would no longer read back from a key listing, and
/// the cache layer above knows better whether to shorten its keys (and how).</summary>
internal static class MemcachedKey
{
    /// <summary>memcached's KEY_MAX_LENGTH.</summary>
    public const int MaxLength = 250;

    /// <summary>The key's bytes on the wire, after checking them.</summary>
    public static byte[] Encode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0) throw new ArgumentException("memcached: a key cannot be empty", nameof(key));
        // A string longer than 250 chars is longer than 250 bytes: no need to encode a huge one to say so.
        var length = key.Length > MaxLength ? key.Length : Encoding.UTF8.GetByteCount(key);
        if (length > MaxLength)
            throw new ArgumentException($"memcached: the key '{Cut(key)}' is {length} bytes long, at most {MaxLength} are allowed", nameof(key));
        var bytes = Encoding.UTF8.GetBytes(key);
        for (var i = 0; i < bytes.Length; i++)
        {
            // UTF-8 bytes of non-ASCII characters are >= 0x80 and fine; a lone surrogate became EF BF BD, also fine.
            if (bytes[i] <= 0x20 || bytes[i] == 0x7F)
                throw new ArgumentException($"memcached: the key '{Cut(key)}' has a space or a control character (byte {i}), which memcached keys cannot have", nameof(key));
        }
        return bytes;
    }

    // For messages: the start of a key, its control characters made visible.
    private static string Cut(string key)
    {
        var s = key.Length > 40 ? key[..40] + "..." : key;
        var b = new StringBuilder(s.Length);
        foreach (var c in s) b.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return b.ToString();
    }
}

/// <summary>A server address, "host:port", "host" (port 11211) or "[v6]:port".</summary>
internal readonly record struct MemcachedAddress(string Host, int Port)
{
    public const int DefaultPort = 11211;

    public static MemcachedAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        string host;
        var port = DefaultPort;
        if (s.StartsWith('['))
        {
            var end = s.IndexOf(']', StringComparison.Ordinal);
            if (end < 0) throw new ArgumentException($"memcached: bad server address '{text}'", nameof(text));
            host = s[1..end];
            var rest = s[(end + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !int.TryParse(rest[1..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)))
                throw new ArgumentException($"memcached: bad server address '{text}'", nameof(text));
        }
        else
        {
            var colon = s.LastIndexOf(':');
            if (colon >= 0 && s.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                host = s; // a bare IPv6 address without brackets has no port
            }
            else if (colon >= 0)
            {
                host = s[..colon];
                if (!int.TryParse(s[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port))
                    throw new ArgumentException($"memcached: bad port in server address '{text}'", nameof(text));
            }
            else
            {
                host = s;
            }
        }
        if (host.Length == 0 || port is < 1 or > 65535) throw new ArgumentException($"memcached: bad server address '{text}'", nameof(text));
        return new MemcachedAddress(host, port);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
