using System.Diagnostics;
using System.Text;
using Backend.Memcached.Client;
using static Backend.Tests.Memcached.MemcachedServers;

namespace Backend.Tests.Memcached;

/// <summary>Every operation against the real memcached of scripts/servers, pipelining on one connection, and input
/// the client refuses. Keys are unique per test, so tests share the server without seeing each other.</summary>
public sealed class MemcachedClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Set_then_get_returns_the_bytes_and_the_flags()
    {
        using var client = SharedClient();
        var key = Unique("set");
        byte[] value = [0, 1, 2, 13, 10, 255, 32];
        await client.SetAsync(key, value, flags: 42, cancellationToken: Ct);
        var item = await client.GetAsync(key, Ct);
        Assert.NotNull(item);
        Assert.Equal(value, item.Value);
        Assert.Equal(42u, item.Flags);
        await client.SetAsync(key, "second", cancellationToken: Ct);
        Assert.Equal("second", await client.GetStringAsync(key, Ct));
    }

    [Fact]
    public async Task Text_keys_and_values_round_trip_as_utf8()
    {
        using var client = SharedClient();
        var key = Unique("clé-ключ-鍵");
        await client.SetAsync(key, "välue ✓ 値", cancellationToken: Ct);
        Assert.Equal("välue ✓ 値", await client.GetStringAsync(key, Ct));
        Assert.Equal(Encoding.UTF8.GetBytes("välue ✓ 値"), (await client.GetAsync(key, Ct))!.Value);
    }

    [Fact]
    public async Task A_missing_key_is_null()
    {
        using var client = SharedClient();
        Assert.Null(await client.GetAsync(Unique("missing"), Ct));
        Assert.Null(await client.GetStringAsync(Unique("missing"), Ct));
    }

    [Fact]
    public async Task An_empty_value_is_a_hit_not_a_miss()
    {
        using var client = SharedClient();
        var key = Unique("empty");
        await client.SetAsync(key, "", cancellationToken: Ct);
        Assert.Equal("", await client.GetStringAsync(key, Ct));
    }

    [Fact]
    public async Task Add_stores_only_when_the_key_is_missing()
    {
        using var client = SharedClient();
        var key = Unique("add");
        Assert.True(await client.AddAsync(key, "first", cancellationToken: Ct));
        Assert.False(await client.AddAsync(key, "second", cancellationToken: Ct));
        Assert.Equal("first", await client.GetStringAsync(key, Ct));
    }

    [Fact]
    public async Task Delete_removes_the_key_and_says_whether_it_was_there()
    {
        using var client = SharedClient();
        var key = Unique("del");
        await client.SetAsync(key, "x", cancellationToken: Ct);
        Assert.True(await client.DeleteAsync(key, Ct));
        Assert.Null(await client.GetAsync(key, Ct));
        Assert.False(await client.DeleteAsync(key, Ct));
    }

    [Fact]
    public async Task A_value_expires_after_its_ttl_and_not_before()
    {
        using var client = SharedClient();
        var key = Unique("ttl");
        var keep = Unique("ttl-keep");
        await client.SetAsync(key, "short", TimeSpan.FromSeconds(1), Ct);
        await client.SetAsync(keep, "long", TimeSpan.FromSeconds(60), Ct);
        Assert.True(await client.AddAsync(Unique("ttl-add"), "x", TimeSpan.FromSeconds(60), Ct));
        Assert.Equal("short", await client.GetStringAsync(key, Ct));
        // memcached's clock ticks in whole seconds: a 1 s item is gone within 2 s.
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        Assert.Null(await client.GetAsync(key, Ct));
        Assert.Equal("long", await client.GetStringAsync(keep, Ct));
    }

    [Fact]
    public async Task A_negative_ttl_stores_nothing_readable()
    {
        using var client = SharedClient();
        var key = Unique("neg");
        await client.SetAsync(key, "x", TimeSpan.FromSeconds(-1), Ct);
        Assert.Null(await client.GetAsync(key, Ct));
    }

    [Fact]
    public async Task Increment_creates_a_missing_counter_with_the_initial_value_then_adds()
    {
        using var client = SharedClient();
        var key = Unique("incr");
        Assert.Equal(10UL, await client.IncrementAsync(key, 5, initial: 10, cancellationToken: Ct));
        Assert.Equal(15UL, await client.IncrementAsync(key, 5, initial: 10, cancellationToken: Ct));
        Assert.Equal(16UL, await client.IncrementAsync(key, 1, cancellationToken: Ct));
        Assert.Equal("16", await client.GetStringAsync(key, Ct));
    }

    [Fact]
    public async Task Decrement_stops_at_zero()
    {
        using var client = SharedClient();
        var key = Unique("decr");
        await client.SetAsync(key, "7", cancellationToken: Ct);
        Assert.Equal(4UL, await client.IncrementAsync(key, -3, cancellationToken: Ct));
        Assert.Equal(0UL, await client.IncrementAsync(key, -100, cancellationToken: Ct));
        Assert.Equal(0UL, await client.IncrementAsync(key, long.MinValue, cancellationToken: Ct));
    }

    [Fact]
    public async Task Increment_without_an_initial_value_leaves_a_missing_counter_missing()
    {
        using var client = SharedClient();
        var key = Unique("incr-miss");
        Assert.Null(await client.IncrementAsync(key, 1, cancellationToken: Ct));
        Assert.Null(await client.GetAsync(key, Ct));
    }

    [Fact]
    public async Task A_counter_created_with_a_ttl_expires()
    {
        using var client = SharedClient();
        var key = Unique("incr-ttl");
        Assert.Equal(1UL, await client.IncrementAsync(key, 1, initial: 1, ttl: TimeSpan.FromSeconds(1), cancellationToken: Ct));
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        Assert.Null(await client.IncrementAsync(key, 1, cancellationToken: Ct));
    }

    [Fact]
    public async Task Concurrent_increments_are_atomic()
    {
        using var client = SharedClient();
        var key = Unique("atomic");
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.IncrementAsync(key, 1, initial: 1, cancellationToken: Ct)));
        Assert.Equal(200UL, await client.IncrementAsync(key, 0, cancellationToken: Ct));
        // Every caller saw a different value: no two increments overlapped.
        Assert.Equal(200, results.Distinct().Count());
    }

    [Fact]
    public async Task Increment_of_a_value_that_is_not_a_number_is_a_client_error_and_the_connection_goes_on()
    {
        using var client = SharedClient();
        var key = Unique("nan");
        await client.SetAsync(key, "abc", cancellationToken: Ct);
        var ex = await Assert.ThrowsAsync<MemcachedException>(() => client.IncrementAsync(key, 1, cancellationToken: Ct));
        Assert.Equal(MemcachedErrorKind.ClientError, ex.Kind);
        Assert.Contains("non-numeric", ex.Message, StringComparison.Ordinal);
        Assert.Equal("abc", await client.GetStringAsync(key, Ct));
        Assert.Equal(1, client.Counters.ServerErrors);
        Assert.Equal(1, client.Counters.Connects);
    }

    [Fact]
    public async Task Get_many_returns_the_hits_and_leaves_the_misses_out()
    {
        using var client = SharedClient();
        var keys = Enumerable.Range(0, 50).Select(i => Unique($"many{i}")).ToList();
        for (var i = 0; i < keys.Count; i += 2) await client.SetAsync(keys[i], $"v{i}", cancellationToken: Ct);
        var result = await client.GetManyAsync([.. keys, keys[0]], Ct);
        Assert.Empty(result.Failed);
        Assert.Equal(25, result.Hits.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            if (i % 2 == 0) Assert.Equal($"v{i}", result.Hits[keys[i]].AsString());
            else Assert.False(result.Hits.ContainsKey(keys[i]));
        }
        Assert.Empty((await client.GetManyAsync([], Ct)).Hits);
    }

    [Fact]
    public async Task A_thousand_concurrent_gets_on_one_connection_each_get_their_own_value()
    {
        using var client = SharedClient();
        var prefix = Unique("pipe");
        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => client.SetAsync($"{prefix}:{i}", $"value-{i}-" + new string('x', i % 97), cancellationToken: Ct)));
        var gets = Enumerable.Range(0, 1000).Select(async i => (i, v: await client.GetStringAsync($"{prefix}:{i}", Ct))).ToList();
        foreach (var (i, v) in await Task.WhenAll(gets)) Assert.Equal($"value-{i}-" + new string('x', i % 97), v);
        Assert.Equal(1, client.Counters.Connects);
        Assert.Equal(2000, client.Counters.Requests);
        Assert.Equal(0, client.Counters.Timeouts);
    }

    [Fact]
    public async Task Pipelined_calls_of_every_kind_are_answered_in_order()
    {
        using var client = SharedClient();
        var p = Unique("mix");
        var tasks = new List<Task>();
        for (var i = 0; i < 200; i++)
        {
            var k = $"{p}:{i}";
            tasks.Add(client.SetAsync(k, $"{i}", cancellationToken: Ct));
            tasks.Add(client.IncrementAsync(k + ":n", i, initial: (ulong)i, cancellationToken: Ct));
            tasks.Add(client.AddAsync(k, "no", cancellationToken: Ct));
            tasks.Add(client.GetManyAsync([k, k + ":n", k + ":none"], Ct));
            tasks.Add(client.DeleteAsync(k + ":none", Ct));
        }
        await Task.WhenAll(tasks);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"{i}", await client.GetStringAsync($"{p}:{i}", Ct));
            Assert.Equal($"{i}", await client.GetStringAsync($"{p}:{i}:n", Ct));
        }
        Assert.Equal(1, client.Counters.Connects);
    }

    [Fact]
    public async Task A_large_value_round_trips()
    {
        using var client = SharedClient();
        var key = Unique("large");
        var value = new byte[1000 * 1000];
        Random.Shared.NextBytes(value);
        await client.SetAsync(key, value, cancellationToken: Ct);
        Assert.Equal(value, (await client.GetAsync(key, Ct))!.Value);
    }

    [Fact]
    public async Task A_value_over_the_limit_is_refused_before_anything_is_sent()
    {
        using var client = SharedClient(o => o.MaxValueSize = 1000);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.SetAsync(Unique("big"), new byte[1001], cancellationToken: Ct));
        Assert.Contains("1001 bytes", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddAsync(Unique("big"), new string('x', 1001), cancellationToken: Ct));
        Assert.Equal(0, client.Counters.Requests);
        using var standard = SharedClient();
        await Assert.ThrowsAsync<ArgumentException>(() => standard.SetAsync(Unique("big"), new byte[MemcachedClientOptions.DefaultMaxValueSize + 1], cancellationToken: Ct));
    }

    [Fact]
    public async Task A_value_the_server_finds_too_large_is_a_server_error_and_the_connection_goes_on()
    {
        using var client = SharedClient();
        var key = Unique("toolarge");
        // 1 MB is within the client's limit, but memcached's 1 MB item also holds the key and a header.
        var ex = await Assert.ThrowsAsync<MemcachedException>(() => client.SetAsync(key, new byte[MemcachedClientOptions.DefaultMaxValueSize], cancellationToken: Ct));
        Assert.Equal(MemcachedErrorKind.ServerError, ex.Kind);
        Assert.Contains("too large", ex.Message, StringComparison.Ordinal);
        await client.SetAsync(key, "small", cancellationToken: Ct);
        Assert.Equal("small", await client.GetStringAsync(key, Ct));
        Assert.Equal(1, client.Counters.Connects);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("line\r\nbreak")]
    [InlineData("")]
    public async Task Bad_keys_are_argument_errors_before_anything_is_sent(string key)
    {
        using var client = SharedClient();
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync(key, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SetAsync(key, "x", cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.AddAsync(key, "x", cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteAsync(key, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.IncrementAsync(key, 1, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetManyAsync(["ok", key], Ct));
        Assert.Equal(0, client.Counters.Requests);
    }

    [Fact]
    public async Task A_251_byte_key_is_refused_and_a_250_byte_key_works()
    {
        using var client = SharedClient();
        var key = Unique("long");
        key += new string('k', 250 - key.Length);
        await client.SetAsync(key, "ok", cancellationToken: Ct);
        Assert.Equal("ok", await client.GetStringAsync(key, Ct));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync(key + "k", Ct));
        Assert.Contains("251 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_call_throws_and_later_calls_get_their_own_replies()
    {
        using var client = SharedClient();
        var p = Unique("cancel");
        for (var i = 0; i < 20; i++) await client.SetAsync($"{p}:{i}", $"{i}", cancellationToken: Ct);
        using var cts = new CancellationTokenSource();
        var doomed = Enumerable.Range(0, 20).Select(i => client.GetStringAsync($"{p}:{i}", cts.Token)).ToList();
        await cts.CancelAsync();
        foreach (var t in doomed)
        {
            // Either answered before the cancel, or cancelled: never another key's value.
            try
            {
                Assert.StartsWith("", await t, StringComparison.Ordinal);
            }
            catch (OperationCanceledException)
            {
            }
        }
        for (var i = 0; i < 20; i++) Assert.Equal($"{i}", await client.GetStringAsync($"{p}:{i}", Ct));
        Assert.Equal(1, client.Counters.Connects);
    }

    [Fact]
    public async Task Stats_come_from_each_server()
    {
        using var client = SharedClient();
        var stats = Assert.Single(await client.StatsAsync(Ct));
        Assert.Equal(Shared(), stats.Server);
        Assert.Null(stats.Error);
        Assert.StartsWith("1.", stats.Stats!["version"], StringComparison.Ordinal);
        Assert.True(long.Parse(stats.Stats["curr_connections"], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Keys_are_listed_best_effort_with_their_expiry()
    {
        using var client = SharedClient();
        var p = Unique("list");
        await client.SetAsync($"{p}:a", "1", cancellationToken: Ct);
        await client.SetAsync($"{p}:é", "2", TimeSpan.FromSeconds(100), Ct);
        var clock = Stopwatch.StartNew();
        var listing = await client.ListKeysAsync(p, cancellationToken: Ct);
        Assert.Empty(listing.FailedServers);
        Assert.Equal([$"{p}:a", $"{p}:é"], listing.Keys.Select(k => k.Key).Order(StringComparer.Ordinal));
        Assert.Null(listing.Keys.Single(k => k.Key.EndsWith(":a", StringComparison.Ordinal)).Expires);
        var expires = listing.Keys.Single(k => k.Key.EndsWith(":é", StringComparison.Ordinal)).Expires;
        Assert.InRange(expires!.Value - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 90, 102);
        Assert.All(listing.Keys, k => Assert.True(k.Size > 0));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Single((await client.ListKeysAsync(p, limit: 1, cancellationToken: Ct)).Keys);
    }

    [Fact]
    public async Task Calls_after_dispose_are_refused()
    {
        var client = SharedClient();
        await client.SetAsync(Unique("disposed"), "x", cancellationToken: Ct);
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAsync("k", Ct));
    }
}
