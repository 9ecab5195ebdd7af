namespace Backend.Tests.Server;

/// <summary><c>/status/put|get|del</c>: presence per account, readable by other accounts.</summary>
public sealed class StatusTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Put_then_get_is_online()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var put = await client.Get("/status/put", ("status", "busy"));
        ApiAssert.Ok(put);
        Assert.Equal(["id", "mtime", "online", "status"], Accounts.Keys(put.Object));
        Assert.Equal(a.Id, put.Str("id"));
        Assert.Equal("busy", put.Str("status"));
        Assert.True(put.Object["online"]!.GetValue<bool>());
        Assert.InRange(put.Object["mtime"]!.GetValue<long>(), before - 60_000, before + 60_000);

        var get = await client.Get("/status/get");
        ApiAssert.Ok(get);
        Assert.Equal(["id", "mtime", "online", "status"], Accounts.Keys(get.Object));
        Assert.Equal("busy", get.Str("status"));
        Assert.True(get.Object["online"]!.GetValue<bool>());

        ApiAssert.Ok(await client.PostForm("/status/put", ("status", "away")));
        Assert.Equal("away", (await client.Get("/status/get")).Str("status"));
    }

    [Fact]
    public async Task Get_of_another_account_and_of_many_returns_them_in_order()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var never = await fixture.AddAccount();
        using (var ca = fixture.Client(a)) ApiAssert.Ok(await ca.Get("/status/put", ("status", "a here")));
        using var client = fixture.Client(b);
        var r = await client.Get("/status/get", ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        Assert.Equal("a here", r.Str("status"));
        Assert.True(r.Object["online"]!.GetValue<bool>());

        ApiAssert.Ok(await client.PostForm("/status/put", ("status", "b here")));
        var many = await client.Get("/status/get", ("id", $"{never.Id},{a.Id},{b.Id}"));
        ApiAssert.Ok(many);
        var rows = many.Array;
        Assert.Equal([never.Id, a.Id, b.Id], rows.Select(x => x!["id"]!.GetValue<string>()));
        Assert.Equal(["id", "online"], Accounts.Keys(rows[0]));
        Assert.False(rows[0]!["online"]!.GetValue<bool>());
        Assert.Equal("a here", rows[1]!["status"]!.GetValue<string>());
        Assert.Equal("b here", rows[2]!["status"]!.GetValue<string>());
        Assert.All(rows.Skip(1), x => Assert.True(x!["online"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task A_status_never_set_is_not_online_not_404()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var own = await client.Get("/status/get");
        ApiAssert.Ok(own);
        Assert.Equal(["id", "online"], Accounts.Keys(own.Object));
        Assert.Equal(a.Id, own.Str("id"));
        Assert.False(own.Object["online"]!.GetValue<bool>());
        var unknown = "nobody-" + Guid.NewGuid().ToString("N");
        var other = await client.Get("/status/get", ("id", unknown));
        ApiAssert.Ok(other);
        Assert.Equal(unknown, other.Str("id"));
        Assert.False(other.Object["online"]!.GetValue<bool>());
    }

    [Fact]
    public async Task After_del_the_status_is_not_online_for_anyone()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        using var other = fixture.Client(b);
        ApiAssert.Ok(await client.Get("/status/put", ("status", "on")));
        Assert.True((await other.Get("/status/get", ("id", a.Id))).Object["online"]!.GetValue<bool>());
        var del = await client.Get("/status/del");
        ApiAssert.Ok(del);
        Assert.Equal(a.Id, del.Str("id"));
        Assert.False(del.Object["online"]!.GetValue<bool>());
        var own = await client.Get("/status/get");
        Assert.Equal(["id", "online"], Accounts.Keys(own.Object));
        Assert.False(own.Object["online"]!.GetValue<bool>());
        Assert.False((await other.Get("/status/get", ("id", a.Id))).Object["online"]!.GetValue<bool>());
        ApiAssert.Ok(await client.Get("/status/del"));
    }

    [Fact]
    public async Task Bad_input_is_400_and_writes_nothing()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/status/put"), 400, "status is required");
        ApiAssert.Error(await client.Get("/status/put", ("status", "")), 400);
        ApiAssert.Error(await client.Get("/status/put", ("status", new string('x', 5000))), 400);
        ApiAssert.Error(await client.Get("/status/get", ("id", new string('x', 500))), 400);
        ApiAssert.Error(await client.Get("/status/get", ("id", string.Join(',', Enumerable.Range(0, 1001)))), 400);
        Assert.False((await client.Get("/status/get")).Object["online"]!.GetValue<bool>());
        // put cannot set another account's status: an id parameter is ignored
        var b = await fixture.AddAccount();
        ApiAssert.Ok(await client.Get("/status/put", ("status", "mine"), ("id", b.Id)));
        using var other = fixture.Client(b);
        Assert.False((await other.Get("/status/get")).Object["online"]!.GetValue<bool>());
        Assert.Equal("mine", (await other.Get("/status/get", ("id", a.Id))).Str("status"));
    }

    [Fact]
    public async Task An_anonymous_request_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/status/get"), 400);
        ApiAssert.Error(await client.Get("/status/put", ("status", "x")), 400);
    }
}

/// <summary>A server whose accounts stay online one second after a put.</summary>
public sealed class StatusExpiryFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-status-interval", "1000"];
}

/// <summary>Presence expires by itself once <c>-api-status-interval</c> passes without a put.</summary>
public sealed class StatusExpiryTests(StatusExpiryFixture fixture) : IClassFixture<StatusExpiryFixture>
{
    [Fact]
    public async Task Online_expires_after_the_interval_and_put_renews_it()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        using var other = fixture.Client(b);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var put = await client.Get("/status/put", ("status", "brief"));
        ApiAssert.Ok(put);
        Assert.True(put.Object["online"]!.GetValue<bool>());
        var now = await other.Get("/status/get", ("id", a.Id));
        // Only meaningful while the interval has not passed yet (a slow machine may take longer than that).
        if (clock.ElapsedMilliseconds < 900) Assert.True(now.Object["online"]!.GetValue<bool>());
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        var expired = await other.Get("/status/get", ("id", a.Id));
        ApiAssert.Ok(expired);
        Assert.False(expired.Object["online"]!.GetValue<bool>());
        Assert.Equal("brief", expired.Str("status"));
        Assert.False((await client.Get("/status/get", ("id", $"{a.Id},{b.Id}"))).Array[0]!["online"]!.GetValue<bool>());
        ApiAssert.Ok(await client.Get("/status/put", ("status", "back")));
        Assert.True((await other.Get("/status/get", ("id", a.Id))).Object["online"]!.GetValue<bool>());
    }
}
