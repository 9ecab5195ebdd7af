using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>The security sweep: account B calls every endpoint about account A, in every request form, and no
/// reply may contain any private column of A, A's login or secret, or a <c>secret</c> property anywhere (the
/// client checks that last one on every reply). Searching by a private column is refused, and no spelling of a
/// private column name lets B test guesses of A's values.</summary>
public sealed class PrivacyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] PrivateColumns =
        ["name", "email", "phone", "status", "website", "birthday", "gender", "address", "city", "state", "zipcode", "country"];

    private sealed record Victim(TestAccount Account, string Alias, Dictionary<string, string> Private)
    {
        public IEnumerable<string> Secrets => Private.Values.Append(Account.Login).Append(Account.Secret);
    }

    private async Task<Victim> AddVictim()
    {
        var tag = Guid.NewGuid().ToString("N");
        var values = PrivateColumns.ToDictionary(c => c, c => $"PRIV{tag}{c}");
        var alias = "pub" + tag;
        var account = await fixture.AddAccount([.. values.Select(kv => (kv.Key, kv.Value)), ("alias", alias), ("login", $"login{tag}@test.com")]);
        return new Victim(account, alias, values);
    }

    private static void AssertNoLeak(Victim a, ApiResponse r, string what)
    {
        foreach (var s in a.Secrets)
            Assert.False(r.Body.Contains(s, StringComparison.Ordinal), $"{what} leaked '{s}': {r}");
        Assert.False(ApiResponse.HasProperty(r.Json, "secret"), $"{what} sent a secret: {r}");
    }

    public static TheoryData<int, SignatureIn> Forms => new()
    {
        { 1, SignatureIn.Header },
        { 3, SignatureIn.Query },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task No_read_endpoint_shows_another_accounts_private_columns(int version, SignatureIn where)
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount(("email", "b@example.com"));
        using var client = fixture.Client(b);
        client.Defaults = new SignOptions { Version = version, In = where };
        var id = a.Account.Id;
        const string sneaky = "email,secret,login,name,phone,status,address,id,alias,type,acl_allow,expires";
        var calls = new List<(string What, Func<Task<ApiResponse>> Call)>
        {
            ("get id=A", () => client.Get("/account/get", ("id", id))),
            ("get id=A,B", () => client.Get("/account/get", ("id", $"{id},{b.Id}"))),
            ("get id=A _select", () => client.Get("/account/get", ("id", id), ("_select", sneaky))),
            ("select", () => client.Get("/account/select", ("_count", "1000"))),
            ("select _select", () => client.Get("/account/select", ("_select", sneaky), ("_count", "1000"))),
            ("select id=A", () => client.Get("/account/select", ("id", id))),
            ("select id=A _select", () => client.Get("/account/select", ("id", id), ("_select", sneaky))),
            ("select alias", () => client.Get("/account/select", ("alias", a.Alias))),
            ("select alias begins_with", () => client.Get("/account/select", ("alias", "pub"), ("_ops", "alias,begins_with"), ("_select", sneaky))),
            ("select in", () => client.Get("/account/select", ("id", $"{id},{b.Id}"), ("_ops", "id,in"), ("_select", sneaky))),
            ("select sort desc", () => client.Get("/account/select", ("_sort", "alias"), ("_desc", "1"), ("_select", sneaky))),
            ("form get", () => client.PostForm("/account/get", ("id", id), ("_select", sneaky))),
            ("form select", () => client.PostForm("/account/select", ("id", id), ("_select", sneaky))),
            ("json get", () => client.PostJson("/account/get", new JsonObject { ["id"] = id, ["_select"] = sneaky })),
            ("json select", () => client.PostJson("/account/select", new JsonObject { ["id"] = new JsonArray(id, b.Id), ["_ops"] = "id,in", ["_select"] = sneaky })),
            ("update id=A", () => client.PostForm("/account/update", ("id", id), ("alias", "b-alias"))),
            ("add login=A", () => client.PostForm("/account/add", ("login", a.Account.Login), ("secret", "x"), ("name", "x"))),
        };
        foreach (var (what, call) in calls)
        {
            var r = await call();
            Assert.True(r.Status is 200 or 409, $"{what}: {r}");
            if (r.Status == 409) Assert.Equal("add login=A", what);
            AssertNoLeak(a, r, what);
        }
    }

    [Fact]
    public async Task Another_accounts_rows_are_exactly_id_and_alias()
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        var get = await client.Get("/account/get", ("id", a.Account.Id), ("_select", "email,secret"));
        var row = Assert.Single(get.Array);
        Assert.Equal(["alias", "id"], Accounts.Keys(row));
        var sel = await client.Get("/account/select", ("id", a.Account.Id), ("_select", "email,secret"));
        var selected = Assert.Single(sel.Data);
        Assert.True(Accounts.Keys(selected).All(k => k is "id" or "alias"), sel.ToString());
    }

    [Fact]
    public async Task An_account_sees_its_own_private_columns_but_never_the_secret()
    {
        var a = await AddVictim();
        using var client = fixture.Client(a.Account);
        foreach (var r in new[]
        {
            await client.Get("/account/get"),
            await client.Get("/account/get", ("_select", "secret,email")),
            await client.Get("/account/select", ("id", a.Account.Id), ("_select", "id,secret,email")),
            await client.PostForm("/account/update", ("city", a.Private["city"])),
        })
        {
            ApiAssert.Ok(r);
            Assert.Contains(a.Private["email"], r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(a.Account.Secret, r.Body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("email")]
    [InlineData("login")]
    [InlineData("name")]
    [InlineData("phone")]
    [InlineData("status")]
    public async Task Select_by_a_private_column_is_403_for_a_non_admin(string column)
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        var value = column == "login" ? a.Account.Login : a.Private[column];
        ApiAssert.Error(await client.Get("/account/select", (column, value)), 403);
        ApiAssert.Error(await client.Get("/account/select", (column, value[..5]), ("_ops", $"{column},begins_with")), 403);
        ApiAssert.Error(await client.PostJson("/account/select", new JsonObject { [column] = value }), 403);
    }

    /// <summary>Whatever a column name looks like, a right guess and a wrong guess of A's value must get the same
    /// answer: otherwise B learns A's private data one guess at a time.</summary>
    [Theory]
    [InlineData("email")]
    [InlineData("EMAIL")]
    [InlineData("Email")]
    [InlineData("email ")]
    [InlineData(" email")]
    [InlineData("\"email\"")]
    [InlineData("email\"")]
    [InlineData("bk_account.email")]
    [InlineData("login")]
    [InlineData("LOGIN")]
    [InlineData("Name")]
    public async Task Select_by_any_spelling_of_a_private_column_gives_no_oracle(string column)
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        var right = column.Trim().Trim('"').Replace("bk_account.", "", StringComparison.Ordinal).ToLowerInvariant() switch
        {
            "login" => a.Account.Login,
            var c => a.Private[c],
        };
        foreach (var op in new[] { "eq", "begins_with", "like" })
        {
            var guess = op == "eq" ? right : right[..6];
            (string, string)[] Query(string v) => [("id", $"{a.Account.Id},{b.Id}"), (column, v), ("_ops", $"id,in,{column},{op}")];
            var hit = await client.Get("/account/select", Query(guess));
            var miss = await client.Get("/account/select", Query("zzz-not-it"));
            Assert.Equal(miss.Status, hit.Status);
            Assert.True(hit.Status is 200 or 400 or 403, hit.ToString());
            if (hit.Status == 200)
                Assert.Equal(miss.Data.Select(x => x!["id"]!.ToString()).Order(), hit.Data.Select(x => x!["id"]!.ToString()).Order());
            AssertNoLeak(a, hit, column);
        }
    }

    [Fact]
    public async Task Sorting_by_a_private_column_gives_no_order_oracle()
    {
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        foreach (var column in new[] { "email", "EMAIL", "login", "name" })
        {
            var r = await client.Get("/account/select", ("_sort", column));
            Assert.True(r.Status is 400 or 403, $"{column}: {r}");
            ApiAssert.Error(r, r.Status);
        }
    }

    [Fact]
    public async Task Update_cannot_touch_another_account()
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        ApiAssert.Ok(await client.PostJson("/account/update", new JsonObject { ["id"] = a.Account.Id, ["login"] = a.Account.Login, ["email"] = "evil@example.com" }));
        using var victim = fixture.Client(a.Account);
        var r = await victim.Get("/account/get");
        Assert.Equal(a.Private["email"], r.Str("email"));
    }

    [Fact]
    public async Task Put_secret_cannot_change_another_accounts_secret()
    {
        var a = await AddVictim();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(b);
        ApiAssert.Ok(await client.PostForm("/account/put/secret", ("secret", "hijacked"), ("login", a.Account.Login), ("id", a.Account.Id)));
        using var victim = fixture.Client(a.Account);
        ApiAssert.Ok(await victim.Get("/account/get"));
        using var attacker = fixture.Client(a.Account with { Secret = "hijacked" });
        ApiAssert.Error(await attacker.Get("/account/get"), 401);
    }
}
