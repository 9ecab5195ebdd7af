using System.Buffers;

namespace Backend.Security;

/// <summary>Host header helpers shared by request and session signatures.</summary>
internal static class HostName
{
    private static readonly SearchValues<char> Ipv4Chars = SearchValues.Create("0123456789.");

    /// <summary>
    /// The host without its port. The 2014 server cut at the first ':' which breaks IPv6 literals,
    /// so a bracketed "[::1]:8000" keeps everything up to the closing bracket instead.
    /// </summary>
    public static ReadOnlySpan<char> WithoutPort(ReadOnlySpan<char> host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            return end < 0 ? host : host[..(end + 1)];
        }
        var colon = host.IndexOf(':');
        return colon < 0 ? host : host[..colon];
    }

    public static bool HasPort(ReadOnlySpan<char> host) => WithoutPort(host).Length != host.Length;

    public static bool IsIpLiteral(ReadOnlySpan<char> name) =>
        name.StartsWith('[') || (!name.IsEmpty && name.IndexOfAnyExcept(Ipv4Chars) < 0);
}
