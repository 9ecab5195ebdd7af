using System.Text;
using Backend.Memcached.Client;

namespace Backend.Tests.Memcached;

/// <summary>Keys, addresses, TTLs and the hash ring, without a server.</summary>
public sealed class MemcachedRingTests
{
    private static readonly string[] Three = ["10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"];

    private static Dictionary<string, string> Owners(IReadOnlyList<string> servers, int count)
    {
        var ring = new HashRing<string>([.. servers.Select(s => (s, s))]);
        return Enumerable.Range(0, count).Select(i => $"key:{i}").ToDictionary(k => k, k => ring.Get(Encoding.UTF8.GetBytes(k)));
    }

    [Fact]
    public void The_ring_spreads_keys_evenly_over_three_servers()
    {
        var owners = Owners(Three, 30_000);
        foreach (var server in Three)
        {
            var share = owners.Values.Count(o => o == server) / 30_000.0;
            Assert.InRange(share, 0.25, 0.42);
        }
    }

    [Fact]
    public void Adding_a_fourth_server_moves_about_a_quarter_of_the_keys_all_to_the_new_server()
    {
        var before = Owners(Three, 30_000);
        var after = Owners([.. Three, "10.0.0.4:11211"], 30_000);
        var moved = before.Keys.Where(k => before[k] != after[k]).ToList();
        Assert.InRange(moved.Count / 30_000.0, 0.15, 0.35);
        Assert.All(moved, k => Assert.Equal("10.0.0.4:11211", after[k]));
    }

    [Fact]
    public void Removing_a_server_moves_only_its_own_keys()
    {
        var before = Owners(Three, 30_000);
        var after = Owners([Three[0], Three[2]], 30_000);
        Assert.All(before.Keys.Where(k => before[k] != Three[1]), k => Assert.Equal(before[k], after[k]));
        Assert.All(before.Keys.Where(k => before[k] == Three[1]), k => Assert.NotEqual(Three[1], after[k]));
    }

    [Fact]
    public void The_order_servers_are_listed_in_does_not_change_where_keys_live() =>
        Assert.Equal(Owners(Three, 5_000), Owners([Three[2], Three[0], Three[1]], 5_000));

#pragma warning disable CA5351 // MD5 is ketama's placement hash
    [Fact]
    public void The_ring_is_the_ketama_one()
    {
        // libketama's point for "NAME-0": the first 4 bytes of MD5("NAME-0"), little-endian, and a key's hash likewise;
        // a key hashing exactly onto a server's point belongs to that server.
        var point = BitConverter.ToUInt32(System.Security.Cryptography.MD5.HashData("b:1-0"u8));
        var ring = new HashRing<string>([("a:1", "a"), ("b:1", "b")]);
        Assert.Equal("b", ring.At(point));
        Assert.Equal(BitConverter.ToUInt32(System.Security.Cryptography.MD5.HashData("foo"u8)), HashRing<string>.Hash("foo"u8));
    }
#pragma warning restore CA5351

    [Theory]
    [InlineData(250, true)]
    [InlineData(251, false)]
    public void Keys_of_up_to_250_bytes_pass_and_longer_ones_are_refused(int length, bool ok)
    {
        var key = new string('k', length);
        if (ok) Assert.Equal(length, MemcachedKey.Encode(key).Length);
        else Assert.Contains("at most 250", Assert.Throws<ArgumentException>(() => MemcachedKey.Encode(key)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multibyte_keys_count_their_utf8_bytes()
    {
        Assert.Equal(250, MemcachedKey.Encode(new string('é', 125)).Length);
        Assert.Throws<ArgumentException>(() => MemcachedKey.Encode(new string('é', 126)));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("a\r\nb")]
    [InlineData("a\tb")]
    [InlineData("a\0")]
    [InlineData("a\u007f")]
    [InlineData("")]
    public void Keys_with_spaces_or_control_characters_or_empty_are_refused(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => MemcachedKey.Encode(key));
        Assert.StartsWith("memcached:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:11212", "127.0.0.1", 11212)]
    [InlineData("cache.local", "cache.local", 11211)]
    [InlineData("[::1]:11300", "::1", 11300)]
    [InlineData("::1", "::1", 11211)]
    [InlineData(" host:1 ", "host", 1)]
    public void Server_addresses_are_parsed(string text, string host, int port) =>
        Assert.Equal(new MemcachedAddress(host, port), MemcachedAddress.Parse(text));

    [Theory]
    [InlineData("host:")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData(":11211")]
    [InlineData("[::1")]
    public void Bad_server_addresses_are_refused(string text) =>
        Assert.Throws<ArgumentException>(() => MemcachedAddress.Parse(text));

    [Fact]
    public void A_server_listed_twice_is_refused() =>
        Assert.Throws<ArgumentException>(() => MemcachedServers.Client(["127.0.0.1:1", "127.0.0.1:1"]));

    [Fact]
    public void Ttls_become_memcached_exptimes()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        using var client = MemcachedServers.Client(["127.0.0.1:1"], o => o.TimeProvider = clock);
        Assert.Equal(0, client.Exptime(TimeSpan.Zero));
        Assert.Equal(-1, client.Exptime(TimeSpan.FromSeconds(-5)));
        Assert.Equal(2, client.Exptime(TimeSpan.FromSeconds(1.2)));
        Assert.Equal(30 * 86400, client.Exptime(TimeSpan.FromDays(30)));
        Assert.Equal(1_800_000_000 + 31 * 86400, client.Exptime(TimeSpan.FromDays(31)));
        Assert.Equal(0, client.Exptime(TimeSpan.FromDays(365 * 100)));
    }
}
