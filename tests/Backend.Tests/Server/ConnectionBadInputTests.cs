using static Backend.Tests.Server.SocialCalls;

namespace Backend.Tests.Server;

/// <summary>Bad input on the connection endpoints: a 4xx in the documented shape and nothing written (no
/// connection, no reference, no counter).</summary>
public sealed class ConnectionBadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    public static TheoryData<string> Writes => new() { "/connection/add", "/connection/put" };

    private async Task AssertNothingWritten(TestAccount a, TestAccount b)
    {
        foreach (var account in new[] { a, b })
        {
            using var c = fixture.Client(account);
            Assert.Empty(await All(c, "/connection/select"));
            Assert.Empty(await All(c, "/reference/select"));
            var counters = await Counters(c);
            foreach (var name in new[] { "like0", "like1", "follow0", "follow1", "ping" }) Assert.Equal(0, Counter(counters, name));
        }
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Bad_parameters_are_400_and_nothing_is_written(string path)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var cases = new (string Name, string Value)[][]
        {
            [("type", "like")],
            [("id", b.Id)],
            [("id", ""), ("type", "like")],
            [("id", b.Id), ("type", "")],
            [("id", a.Id), ("type", "like")],
            [("id", b.Id), ("type", "li:ke")],
            [("id", b.Id), ("type", ":")],
            [("id", b.Id), ("type", new string('l', 65))],
            [("id", new string('x', 200)), ("type", "like")],
            [("id", b.Id), ("type", "like"), ("_connected", "maybe")],
            [("id", b.Id), ("type", "like"), ("_nocounter", "maybe")],
            [("id", b.Id), ("type", "like"), ("_details", "2")],
            [("id", b.Id), ("type", "like"), ("state", new string('s', 5000))],
        };
        foreach (var query in cases)
        {
            var r = await client.Get(path, query);
            ApiAssert.Error(r, 400);
            r = await client.PostForm(path, query);
            ApiAssert.Error(r, 400);
        }
        await AssertNothingWritten(a, b);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task An_unknown_target_is_404_and_nothing_is_written(string path)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get(path, ("id", Guid.NewGuid().ToString("N")), ("type", "like")), 404);
        await AssertNothingWritten(a, b);
    }

    [Fact]
    public async Task A_type_of_the_max_length_is_accepted()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var type = new string('t', 64);
        await Connect(client, b.Id, type);
        Assert.Equal([$"{b.Id}/{type}"], await All(client, "/connection/select", ("type", type)));
    }

    [Fact]
    public async Task Reads_and_changes_with_bad_or_missing_parameters_are_4xx()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        foreach (var path in new[] { "/connection/get", "/reference/get", "/connection/update", "/connection/incr" })
        {
            ApiAssert.Error(await client.Get(path, ("type", "like")), 400);
            ApiAssert.Error(await client.Get(path, ("id", b.Id)), 400);
            ApiAssert.Error(await client.Get(path, ("id", b.Id), ("type", "a:b")), 400);
        }
        ApiAssert.Error(await client.Get("/connection/get", ("id", b.Id), ("type", "like")), 404);
        ApiAssert.Error(await client.Get("/reference/get", ("id", b.Id), ("type", "like")), 404);
        ApiAssert.Error(await client.Get("/connection/update", ("id", b.Id), ("type", "like"), ("state", "x")), 404);
        ApiAssert.Error(await client.Get("/connection/del", ("id", b.Id), ("type", "like")), 404);
        ApiAssert.Error(await client.Get("/connection/del", ("type", "a:b")), 400);
        foreach (var path in new[] { "/connection/select", "/reference/select" })
        {
            ApiAssert.Error(await client.Get(path, ("_count", "-1")), 400);
            ApiAssert.Error(await client.Get(path, ("_count", "abc")), 400);
            ApiAssert.Error(await client.Get(path, ("type", "x:y")), 400);
            ApiAssert.Error(await client.Get(path, ("_ops", "mtime")), 400);
            ApiAssert.Error(await client.Get(path, ("_ops", "mtime,near")), 400);
            ApiAssert.Error(await client.Get(path, ("_sort", "nosuchcolumn")), 400);
            ApiAssert.Error(await client.Get(path, ("mtime", "abc"), ("_ops", "mtime,gt")), 400);
        }
        await AssertNothingWritten(a, b);
    }

    [Fact]
    public async Task An_unsigned_request_is_400()
    {
        var b = await fixture.AddAccount();
        using var anonymous = fixture.Client();
        foreach (var path in new[] { "/connection/add", "/connection/select", "/reference/select", "/connection/del", "/counter/get", "/counter/incr" })
            ApiAssert.Error(await anonymous.Get(path, ("id", b.Id), ("type", "like"), ("ping", "1")), 400);
        using var cb = fixture.Client(b);
        Assert.Equal(0, Counter(await Counters(cb), "ping"));
        Assert.Empty(await All(cb, "/reference/select"));
    }
}
