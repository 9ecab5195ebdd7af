using Backend.Auth;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Auth;

/// <summary>The session store's bounds: expiry, a per-account cap and a global cap, each evicting the least recently
/// used session (never at random), so one account cannot log others out.</summary>
public sealed class SessionStoreTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    private long Later(long ms) => _time.GetUtcNow().ToUnixTimeMilliseconds() + ms;

    [Fact]
    public void A_session_is_found_until_it_expires_then_ended()
    {
        var store = new SessionStore(10, 10, _time);
        var id = store.Start("a", "header-a", Later(1000));
        Assert.Equal("header-a", store.Find(id));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("header-a", store.Find(id));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(store.Find(id));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void End_removes_and_unknown_ids_are_null()
    {
        var store = new SessionStore(10, 10, _time);
        var id = store.Start("a", "h", Later(60_000));
        store.End(id);
        store.End(id);
        store.End(null);
        Assert.Null(store.Find(id));
        Assert.Null(store.Find("nope"));
        Assert.Null(store.Find(null));
    }

    [Fact]
    public void Over_the_global_bound_the_least_recently_used_session_ends()
    {
        var store = new SessionStore(3, 10, _time);
        var s1 = store.Start("a", "1", Later(60_000));
        var s2 = store.Start("b", "2", Later(60_000));
        var s3 = store.Start("c", "3", Later(60_000));
        Assert.Equal("1", store.Find(s1)); // s1 is now the most recently used; s2 the least
        var s4 = store.Start("d", "4", Later(60_000));
        Assert.Null(store.Find(s2));
        Assert.Equal("1", store.Find(s1));
        Assert.Equal("3", store.Find(s3));
        Assert.Equal("4", store.Find(s4));
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void One_account_starting_sessions_in_a_loop_ends_only_its_own()
    {
        var store = new SessionStore(100, 5, _time);
        var others = Enumerable.Range(0, 50).Select(i => (Login: $"user{i}", Id: store.Start($"user{i}", $"h{i}", Later(60_000)))).ToList();
        string? first = null;
        for (var i = 0; i < 100_000; i++)
        {
            var id = store.Start("attacker", "x", Later(60_000));
            first ??= id;
        }
        Assert.All(others, o => Assert.NotNull(store.Find(o.Id)));
        Assert.Equal(55, store.Count);
        Assert.Null(store.Find(first));
    }

    [Fact]
    public void The_per_account_bound_ends_that_accounts_least_recently_used_session()
    {
        var store = new SessionStore(100, 2, _time);
        var phone = store.Start("a", "phone", Later(60_000));
        var laptop = store.Start("a", "laptop", Later(60_000));
        Assert.Equal("phone", store.Find(phone)); // the laptop is now a's least recently used
        var tablet = store.Start("a", "tablet", Later(60_000));
        Assert.Null(store.Find(laptop));
        Assert.Equal("phone", store.Find(phone));
        Assert.Equal("tablet", store.Find(tablet));
    }

    [Fact]
    public async Task Concurrent_use_keeps_the_bounds()
    {
        var store = new SessionStore(1000, 10, _time);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5000; i++)
            {
                var id = store.Start($"acct{(t * 5000 + i) % 300}", "h", Later(60_000));
                store.Find(id);
                if (i % 7 == 0) store.End(id);
            }
        }, TestContext.Current.CancellationToken)));
        Assert.InRange(store.Count, 1, 1000);
    }

    [Fact]
    public void Ending_all_sessions_of_an_account_leaves_the_others()
    {
        var store = new SessionStore(100, 10, _time);
        var a1 = store.Start("a", "a1", Later(60_000));
        var a2 = store.Start("a", "a2", Later(60_000));
        var b1 = store.Start("b", "b1", Later(60_000));
        store.EndAll("a");
        store.EndAll("nobody");
        Assert.Null(store.Find(a1));
        Assert.Null(store.Find(a2));
        Assert.Equal("b1", store.Find(b1));
        Assert.Equal(1, store.Count);
        var a3 = store.Start("a", "a3", Later(60_000));
        Assert.Equal("a3", store.Find(a3));
    }
}
