using System.Security.Cryptography;
using System.Text;

namespace Backend.Memcached.Client;

/// <summary>A ketama consistent-hash ring (libketama, as libmemcached and most memcached clients do it): each server
/// gets 160 points, four from each MD5 of "NAME-i" for i in 0..39; a key belongs to the first point at or after
/// the first four bytes (little-endian) of its MD5, wrapping around. Adding a server to N takes about 1/(N+1) of the
/// keys, all of them to the new server; removing one moves only its own keys. Servers are not weighted.</summary>
// MD5 places keys and servers on the ring (the ketama layout every client shares); nothing here is secret.
#pragma warning disable CA5351
internal sealed class HashRing<T>
{
    /// <summary>Points per server: 40 MD5s of 16 bytes, 4 points each.</summary>
    public const int PointsPerServer = 160;

    private readonly uint[] _points;
    private readonly T[] _owners;

    public HashRing(IReadOnlyList<(string Name, T Node)> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0) throw new ArgumentException("a ring needs at least one node", nameof(nodes));
        var points = new List<(uint Point, int Index)>(nodes.Count * PointsPerServer);
        Span<byte> digest = stackalloc byte[16];
        for (var n = 0; n < nodes.Count; n++)
        {
            for (var i = 0; i < PointsPerServer / 4; i++)
            {
                MD5.HashData(Encoding.UTF8.GetBytes($"{nodes[n].Name}-{i}"), digest);
                for (var k = 0; k < 4; k++) points.Add((Le32(digest[(k * 4)..]), n));
            }
        }
        // Ties (two servers on one point: rare) go to the server listed first, the same in every process.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Index.CompareTo(b.Index));
        _points = [.. points.Select(p => p.Point)];
        _owners = [.. points.Select(p => nodes[p.Index].Node)];
    }

    /// <summary>The key's position on the ring.</summary>
    public static uint Hash(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(key, digest);
        return Le32(digest);
    }

    /// <summary>The node owning a key (its bytes as sent to the server).</summary>
    public T Get(ReadOnlySpan<byte> key) => At(Hash(key));

    /// <summary>The node owning a position.</summary>
    public T At(uint hash)
    {
        var i = Array.BinarySearch(_points, hash);
        if (i < 0) i = ~i;
        // Several points may share a value: the first of them owns it.
        while (i > 0 && _points[i - 1] == hash) i--;
        return _owners[i == _points.Length ? 0 : i];
    }

    private static uint Le32(ReadOnlySpan<byte> b) => (uint)(b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]);
}
#pragma warning restore CA5351
