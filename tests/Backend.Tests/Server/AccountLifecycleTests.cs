using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>The account lifecycle (README /account/*, compat-notes.md "Accounts"): add, get, update,
/// put/secret, del.</summary>
public sealed class AccountLifecycleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Add_returns_the_record_with_an_id_without_the_secret_and_the_alias_defaults_to_the_name()
    {
        using var client = fixture.Client();
        var login = Accounts.UniqueLogin();
        var r = await client.PostForm("/account/add", ("login", login), ("secret", "top-secret-value"), ("name", "Real Name"));
        ApiAssert.Ok(r);
        Assert.Matches("^[0-9a-zA-Z-]{8,}$", r.Str("id"));
        Assert.Equal(login, r.Str("login"));
        Assert.Equal("Real Name", r.Str("name"));
        Assert.Equal("Real Name", r.Str("alias"));
        Assert.DoesNotContain("top-secret-value", r.Body, StringComparison.Ordinal);
        Assert.Null(r.Object["secret"]);
    }

    [Fact]
    public async Task Add_with_an_alias_keeps_the_alias()
    {
        var a = await fixture.AddAccount(("name", "Real"), ("alias", "Nick"));
        Assert.Equal("Nick", a.Added!["alias"]?.ToString());
    }

    [Fact]
    public async Task Add_with_an_empty_alias_defaults_the_alias_to_the_name()
    {
        var a = await fixture.AddAccount(("name", "Real Name"), ("alias", ""));
        Assert.Equal("Real Name", a.Added!["alias"]?.ToString());
    }

    [Fact]
    public async Task Add_by_GET_and_by_JSON_both_work()
    {
        using var client = fixture.Client();
        var login = Accounts.UniqueLogin();
        ApiAssert.Ok(await client.Get("/account/add", ("login", login), ("secret", "s"), ("name", "GET")));
        var jsonLogin = Accounts.UniqueLogin();
        var r = await client.PostJson("/account/add", new JsonObject { ["login"] = jsonLogin, ["secret"] = "s", ["name"] = "JSON" });
        ApiAssert.Ok(r);
        Assert.Equal("JSON", r.Str("alias"));
    }

    [Theory]
    [InlineData("login")]
    [InlineData("secret")]
    [InlineData("name")]
    public async Task Add_without_a_required_field_is_400_and_writes_nothing(string missing)
    {
        var fields = new Dictionary<string, string> { ["login"] = Accounts.UniqueLogin(), ["secret"] = "s", ["name"] = "N" };
        fields.Remove(missing);
        using var client = fixture.Client();
        ApiAssert.Error(await client.PostForm("/account/add", [.. fields.Select(kv => (kv.Key, kv.Value))]), 400);
        if (fields.TryGetValue("login", out var login) && fields.TryGetValue("secret", out var secret))
        {
            using var signed = fixture.Client(new TestAccount(login, secret, ""));
            ApiAssert.Error(await signed.Get("/account/get"), 404);
        }
    }

    [Theory]
    [InlineData("login")]
    [InlineData("secret")]
    [InlineData("name")]
    public async Task Add_with_an_empty_required_field_is_400(string empty)
    {
        var fields = new Dictionary<string, string> { ["login"] = Accounts.UniqueLogin(), ["secret"] = "s", ["name"] = "N" };
        fields[empty] = "";
        using var client = fixture.Client();
        ApiAssert.Error(await client.PostForm("/account/add", [.. fields.Select(kv => (kv.Key, kv.Value))]), 400);
    }

    [Fact]
    public async Task Add_with_a_duplicate_login_is_409_and_keeps_the_original()
    {
        var a = await fixture.AddAccount(("name", "First"));
        using var anon = fixture.Client();
        var r = await anon.PostForm("/account/add", ("login", a.Login), ("secret", "another"), ("name", "Second"));
        ApiAssert.Error(r, 409);
        using var client = fixture.Client(a);
        var get = await client.Get("/account/get");
        ApiAssert.Ok(get);
        Assert.Equal(a.Id, get.Str("id"));
        Assert.Equal("First", get.Str("name"));
        using var hijack = fixture.Client(a with { Secret = "another" });
        ApiAssert.Error(await hijack.Get("/account/get"), 401);
    }

    [Fact]
    public async Task Add_ignores_id_and_ctime_from_the_client()
    {
        var other = await fixture.AddAccount();
        var a = await fixture.AddAccount(("id", other.Id), ("ctime", "1"), ("mtime", "2"));
        Assert.NotEqual(other.Id, a.Id);
        Assert.NotEqual("1", a.Added!["ctime"]?.ToString());
        using var client = fixture.Client(other);
        Assert.Equal(other.Login, (await client.Get("/account/get")).Str("login"));
    }

    [Fact]
    public async Task Get_of_the_own_account_returns_all_columns_but_the_secret()
    {
        var a = await fixture.AddAccount(
            ("name", "Full"), ("alias", "Al"), ("email", "full@example.com"), ("phone", "555-1234"), ("status", "busy"),
            ("website", "http://x"), ("birthday", "2000-01-01"), ("gender", "f"), ("address", "1 Road"), ("city", "Town"),
            ("state", "ST"), ("zipcode", "12345"), ("country", "US"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        foreach (var (k, v) in new[] { ("id", a.Id), ("login", a.Login), ("name", "Full"), ("alias", "Al"), ("email", "full@example.com"), ("phone", "555-1234"), ("status", "busy"), ("website", "http://x"), ("birthday", "2000-01-01"), ("gender", "f"), ("address", "1 Road"), ("city", "Town"), ("state", "ST"), ("zipcode", "12345"), ("country", "US") })
            Assert.Equal(v, r.Str(k));
        Assert.NotNull(r.Object["ctime"]);
        Assert.NotNull(r.Object["mtime"]);
        Assert.Null(r.Object["secret"]);
        Assert.DoesNotContain(a.Secret, r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_an_id_list_returns_an_array_with_other_rows_public_only_and_the_own_row_complete()
    {
        var a = await fixture.AddAccount(("email", "a@example.com"));
        var b = await fixture.AddAccount(("email", "b@example.com"), ("alias", "Bee"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", ("id", $"{a.Id},{b.Id}"));
        ApiAssert.Ok(r);
        Assert.Equal(2, r.Array.Count);
        var own = r.Array.Single(x => x!["id"]!.ToString() == a.Id)!;
        var other = r.Array.Single(x => x!["id"]!.ToString() == b.Id)!;
        Assert.Equal("a@example.com", own["email"]?.ToString());
        Assert.Equal(a.Login, own["login"]?.ToString());
        Assert.Equal(["alias", "id"], Accounts.Keys(other));
        Assert.Equal("Bee", other["alias"]?.ToString());
    }

    [Fact]
    public async Task Get_of_a_single_other_id_returns_an_array_with_the_public_row()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", ("id", b.Id));
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Array);
        Assert.Equal(["alias", "id"], Accounts.Keys(row));
    }

    [Fact]
    public async Task Get_skips_unknown_ids()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", ("id", $"nope,{a.Id},,also-nope"));
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, Assert.Single(r.Array)!["id"]?.ToString());
    }

    [Fact]
    public async Task Update_of_the_own_account_changes_the_allowed_columns()
    {
        var a = await fixture.AddAccount(("name", "Before"));
        using var client = fixture.Client(a);
        var r = await client.PostForm("/account/update", ("name", "After"), ("alias", "Ali"), ("email", "new@example.com"), ("city", "Rome"));
        ApiAssert.Ok(r);
        var get = await client.Get("/account/get");
        Assert.Equal("After", get.Str("name"));
        Assert.Equal("Ali", get.Str("alias"));
        Assert.Equal("new@example.com", get.Str("email"));
        Assert.Equal("Rome", get.Str("city"));
        Assert.Equal(a.Login, get.Str("login"));
    }

    [Theory]
    [InlineData("type", "admin")]
    [InlineData("latitude", "34.5")]
    [InlineData("longitude", "-118.2")]
    [InlineData("geohash", "9qh1")]
    [InlineData("location", "Somewhere")]
    [InlineData("ltime", "12345")]
    [InlineData("ctime", "1")]
    [InlineData("login", "someone-else@test.com")]
    public async Task Update_by_a_non_admin_ignores_a_protected_column(string column, string value)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var before = (await client.Get("/account/get")).Object;
        var r = await client.PostForm("/account/update", (column, value), ("alias", "changed"));
        ApiAssert.Ok(r);
        var after = (await client.Get("/account/get")).Object;
        Assert.Equal(before[column]?.ToJsonString(), after[column]?.ToJsonString());
        Assert.Equal("changed", after["alias"]?.ToString());
    }

    [Fact]
    public async Task Update_ignores_empty_values()
    {
        var a = await fixture.AddAccount(("name", "Keep"), ("email", "keep@example.com"));
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostForm("/account/update", ("name", ""), ("email", ""), ("city", "Oslo")));
        var get = await client.Get("/account/get");
        Assert.Equal("Keep", get.Str("name"));
        Assert.Equal("keep@example.com", get.Str("email"));
        Assert.Equal("Oslo", get.Str("city"));
    }

    [Fact]
    public async Task Update_with_the_id_of_another_account_updates_only_the_own()
    {
        var a = await fixture.AddAccount(("name", "Victim"));
        var b = await fixture.AddAccount(("name", "Attacker"));
        using var client = fixture.Client(b);
        ApiAssert.Ok(await client.PostForm("/account/update", ("id", a.Id), ("name", "pwned")));
        using var victim = fixture.Client(a);
        Assert.Equal("Victim", (await victim.Get("/account/get")).Str("name"));
        Assert.Equal("pwned", (await client.Get("/account/get")).Str("name"));
    }

    [Fact]
    public async Task Update_unsigned_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.PostForm("/account/update", ("name", "x")), 400);
    }

    [Fact]
    public async Task After_put_secret_the_old_secret_is_401_and_the_new_one_works()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var newSecret = Accounts.NewSecret();
        var r = await client.PostForm("/account/put/secret", ("secret", newSecret));
        ApiAssert.Ok(r);
        Assert.DoesNotContain(newSecret, r.Body, StringComparison.Ordinal);
        ApiAssert.Error(await client.Get("/account/get"), 401);
        using var renewed = fixture.Client(a with { Secret = newSecret });
        var get = await renewed.Get("/account/get");
        ApiAssert.Ok(get);
        Assert.Equal(a.Id, get.Str("id"));
        ApiAssert.Ok(await renewed.Get("/account/get", new SignOptions { Version = 3, In = SignatureIn.Query }));
    }

    [Fact]
    public async Task Put_secret_changes_nothing_else()
    {
        var a = await fixture.AddAccount(("name", "Same"));
        using var client = fixture.Client(a);
        var newSecret = Accounts.NewSecret();
        ApiAssert.Ok(await client.PostForm("/account/put/secret", ("secret", newSecret), ("name", "Changed"), ("login", "other@test.com"), ("type", "admin")));
        using var renewed = fixture.Client(a with { Secret = newSecret });
        var get = await renewed.Get("/account/get");
        Assert.Equal("Same", get.Str("name"));
        Assert.Equal(a.Login, get.Str("login"));
        Assert.Null(get.Object["type"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Put_secret_without_a_secret_is_400_and_keeps_the_old_one(string? secret)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = secret is null ? await client.PostForm("/account/put/secret") : await client.PostForm("/account/put/secret", ("secret", secret));
        ApiAssert.Error(r, 400);
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task Del_returns_the_record_then_the_credentials_are_404_and_the_login_is_reusable_with_a_new_id()
    {
        var a = await fixture.AddAccount(("name", "Gone"), ("email", "gone@example.com"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/del");
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
        Assert.Equal("Gone", r.Str("name"));
        Assert.Equal("gone@example.com", r.Str("email"));
        Assert.Null(r.Object["secret"]);

        ApiAssert.Error(await client.Get("/account/get"), 404, "No account record found");
        ApiAssert.Error(await client.Get("/account/del"), 404);

        var again = await fixture.AddAccount(("login", a.Login), ("secret", a.Secret), ("name", "Again"));
        Assert.NotEqual(a.Id, again.Id);
        var get = await client.Get("/account/get");
        ApiAssert.Ok(get);
        Assert.Equal(again.Id, get.Str("id"));
        Assert.Equal("Again", get.Str("name"));
        Assert.Null(get.Object["email"]);
    }

    [Fact]
    public async Task Del_removes_the_profile_too()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        ApiAssert.Ok(await ca.PostForm("/account/del"));
        using var cb = fixture.Client(b);
        var r = await cb.Get("/account/get", ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Empty(r.Array);
        var sel = await cb.Get("/account/select", ("id", a.Id));
        Assert.Empty(sel.Data);
    }

    [Fact]
    public async Task Del_with_the_id_of_another_account_deletes_only_the_own()
    {
        var victim = await fixture.AddAccount();
        var attacker = await fixture.AddAccount();
        using var client = fixture.Client(attacker);
        var r = await client.Get("/account/del", ("id", victim.Id), ("login", victim.Login));
        ApiAssert.Ok(r);
        Assert.Equal(attacker.Id, r.Str("id"));
        using var v = fixture.Client(victim);
        ApiAssert.Ok(await v.Get("/account/get"));
    }

    [Fact]
    public async Task Del_unsigned_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/account/del"), 400);
    }

    [Fact]
    public async Task Of_concurrent_adds_of_the_same_login_exactly_one_wins()
    {
        var login = Accounts.UniqueLogin("race");
        using var client = fixture.Client();
        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostForm("/account/add", ("login", login), ("secret", "s" + i), ("name", "N" + i))));
        Assert.Single(replies, r => r.Status == 200);
        Assert.All(replies.Where(r => r.Status != 200), r => ApiAssert.Error(r, 409));
        var winner = replies.Single(r => r.Status == 200);
        var secret = "s" + winner.Str("name")![1..];
        using var signed = fixture.Client(new TestAccount(login, secret, winner.Str("id")!));
        Assert.Equal(winner.Str("id"), (await signed.Get("/account/get")).Str("id"));
    }

    [Fact]
    public async Task Parallel_mixed_requests_never_fail()
    {
        var accounts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => fixture.AddAccount()));
        var work = accounts.SelectMany(a => Enumerable.Range(0, 5).Select(async i =>
        {
            using var client = fixture.Client(a);
            ApiAssert.Ok(await client.PostForm("/account/update", ("alias", $"p{i}")));
            ApiAssert.Ok(await client.Get("/account/get"));
            ApiAssert.Ok(await client.Get("/account/select", ("_count", "5")));
        }));
        await Task.WhenAll(work);
    }
}
