using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary><c>/account/select</c>: <c>{"data":[...],"next_token":"..."}</c>, paging with <c>_count</c> and
/// <c>_start</c>, <c>_select</c>, <c>_ops</c>, <c>_sort</c>, <c>_desc</c>; other accounts' rows carry public columns
/// only and private columns cannot be searched by non-admins.</summary>
public sealed class AccountSelectTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private async Task<(string Prefix, List<TestAccount> Accounts)> AddGroup(int count)
    {
        var prefix = "grp" + Guid.NewGuid().ToString("N")[..12];
        var list = new List<TestAccount>();
        for (var i = 0; i < count; i++) list.Add(await fixture.AddAccount(("alias", $"{prefix}-{(char)('e' - i)}{i}")));
        return (prefix, list);
    }

    private static async Task<List<string>> PageAll(BackendClient client, int count, params (string Name, string Value)[] query)
    {
        var ids = new List<string>();
        var token = "";
        for (var page = 0; page < 10_000; page++)
        {
            (string, string)[] q = [.. query, ("_count", count.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. token.Length > 0 ? [("_start", token)] : Array.Empty<(string, string)>()];
            var r = await client.Get("/account/select", q);
            ApiAssert.Ok(r);
            Assert.True(r.Data.Count <= count, $"page larger than _count={count}: {r}");
            ids.AddRange(r.Data.Select(x => x!["id"]!.ToString()));
            token = r.NextToken;
            if (token.Length == 0) return ids;
            Assert.NotEmpty(r.Data);
        }
        Assert.Fail("paging never ended");
        return ids;
    }

    [Fact]
    public async Task Select_replies_with_data_and_a_next_token()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Equal(["data", "next_token"], Accounts.Keys(r.Json));
        Assert.Equal("", r.NextToken);
        var own = Assert.Single(r.Data);
        Assert.Equal(a.Login, own!["login"]?.ToString());
    }

    [Fact]
    public async Task Select_shows_only_public_columns_of_other_accounts_rows()
    {
        var (prefix, group) = await AddGroup(3);
        var caller = await fixture.AddAccount();
        using var client = fixture.Client(caller);
        var r = await client.Get("/account/select", ("alias", prefix), ("_ops", "alias,begins_with"));
        ApiAssert.Ok(r);
        Assert.Equal(3, r.Data.Count);
        foreach (var row in r.Data) Assert.Equal(["alias", "id"], Accounts.Keys(row));
        Assert.Equal(group.Select(g => g.Id).Order(), r.Data.Select(x => x!["id"]!.ToString()).Order());
    }

    [Fact]
    public async Task Select_paging_by_1_visits_each_account_of_a_group_exactly_once()
    {
        var (prefix, group) = await AddGroup(5);
        using var client = fixture.Client(group[0]);
        var ids = await PageAll(client, 1, ("alias", prefix), ("_ops", "alias,begins_with"));
        Assert.Equal(5, ids.Count);
        Assert.Equal(group.Select(g => g.Id).Order(), ids.Order());
    }

    [Fact]
    public async Task Select_paging_by_1_visits_every_account_exactly_once()
    {
        // Restricted to this test's accounts: on an external pool the table is shared with other test servers.
        var (prefix, group) = await AddGroup(5);
        using var client = fixture.Client(group[0]);
        (string, string)[] filter = [("alias", prefix), ("_ops", "alias,begins_with")];
        var all = await client.Get("/account/select", [("_count", "1000"), .. filter]);
        ApiAssert.Ok(all);
        Assert.Equal("", all.NextToken);
        var expected = all.Data.Select(x => x!["id"]!.ToString()).ToList();
        Assert.Equal(group.Select(g => g.Id).Order(), expected.Order());
        var paged = await PageAll(client, 1, filter);
        Assert.Equal(paged.Count, paged.Distinct().Count());
        Assert.Equal(expected.Order(), paged.Order());
    }

    [Theory]
    [InlineData(2, false, null)]
    [InlineData(2, true, null)]
    [InlineData(2, false, "alias")]
    [InlineData(3, true, "alias")]
    public async Task Select_paging_with_sort_and_desc_visits_each_account_once_in_order(int count, bool desc, string? sort)
    {
        var (prefix, group) = await AddGroup(7);
        using var client = fixture.Client(group[0]);
        List<(string, string)> q = [("alias", prefix), ("_ops", "alias,begins_with")];
        if (desc) q.Add(("_desc", "1"));
        if (sort is not null) q.Add(("_sort", sort));
        var ids = await PageAll(client, count, [.. q]);
        Assert.Equal(group.Select(g => g.Id).Order(), ids.Order());
        var key = sort is null ? (Func<TestAccount, string>)(g => g.Id) : g => g.Added!["alias"]!.ToString();
        var expected = (desc ? group.OrderByDescending(key, StringComparer.Ordinal) : group.OrderBy(key, StringComparer.Ordinal)).Select(g => g.Id);
        Assert.Equal(expected, ids);
    }

    [Fact]
    public async Task Select_with_count_0_returns_no_rows()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("_count", "0"));
        ApiAssert.Ok(r);
        Assert.Empty(r.Data);
    }

    [Fact]
    public async Task Select_with_select_columns_returns_only_those()
    {
        var (prefix, group) = await AddGroup(2);
        using var client = fixture.Client(group[0]);
        var r = await client.Get("/account/select", ("alias", prefix), ("_ops", "alias,begins_with"), ("_select", "id,alias,name"));
        ApiAssert.Ok(r);
        Assert.Equal(2, r.Data.Count);
        var own = r.Data.Single(x => x!["id"]!.ToString() == group[0].Id)!;
        Assert.Equal(["alias", "id", "name"], Accounts.Keys(own));
        var other = r.Data.Single(x => x!["id"]!.ToString() == group[1].Id)!;
        Assert.Equal(["alias", "id"], Accounts.Keys(other));
    }

    [Fact]
    public async Task Select_of_the_own_row_with_a_select_without_id_keeps_the_selected_private_columns()
    {
        var a = await fixture.AddAccount(("email", "own@example.com"));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("id", a.Id), ("_select", "email"));
        ApiAssert.Ok(r);
        Assert.Equal("own@example.com", Assert.Single(r.Data)!["email"]?.ToString());
    }

    [Fact]
    public async Task Select_ignores_unknown_columns_in_select()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("id", a.Id), ("_select", "id,nosuch,secret,alias"));
        ApiAssert.Ok(r);
        Assert.Equal(["alias", "id"], Accounts.Keys(Assert.Single(r.Data)));
    }

    [Theory]
    [InlineData("begins_with", "PREFIX-c", 1)]
    [InlineData("contains", "-d", 1)]
    [InlineData("like", "PREFIX-%", 3)]
    [InlineData("gt", "PREFIX-d", 2)]
    [InlineData("ne", "PREFIX-e0", 2)]
    [InlineData("in", "PREFIX-e0,PREFIX-c2", 2)]
    [InlineData("between", "PREFIX-c,PREFIX-d9", 2)]
    public async Task Select_filters_by_each_operator(string op, string value, int expected)
    {
        var (prefix, group) = await AddGroup(3); // aliases PREFIX-e0, PREFIX-d1, PREFIX-c2
        using var client = fixture.Client(group[0]);
        var v = value.Replace("PREFIX", prefix, StringComparison.Ordinal);
        // restrict to the group with the id list
        var r = await client.Get("/account/select", ("id", string.Join(',', group.Select(g => g.Id))), ("alias", v), ("_ops", $"id,in,alias,{op}"));
        if (op == "like" && BackendServer.Pool is "dynamodb")
        {
            // SQL LIKE patterns exist only on SQL databases; the others refuse them clearly.
            ApiAssert.Error(r, 400);
            return;
        }
        ApiAssert.Ok(r);
        Assert.Equal(expected, r.Data.Count);
    }

    [Fact]
    public async Task Select_with_begins_with_treats_like_wildcards_literally()
    {
        var (prefix, group) = await AddGroup(1);
        using var client = fixture.Client(group[0]);
        var r = await client.Get("/account/select", ("alias", prefix + "%"), ("_ops", "alias,begins_with"));
        ApiAssert.Ok(r);
        Assert.Empty(r.Data);
        r = await client.Get("/account/select", ("alias", prefix), ("_ops", "alias,begins_with"));
        ApiAssert.Ok(r);
        Assert.Single(r.Data);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("email")]
    [InlineData("phone")]
    [InlineData("login")]
    [InlineData("status")]
    [InlineData("type")]
    [InlineData("address")]
    [InlineData("birthday")]
    [InlineData("latitude")]
    [InlineData("geohash")]
    [InlineData("ctime")]
    public async Task Select_by_a_private_column_is_403_for_a_non_admin(string column)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", (column, "x")), 403);
        ApiAssert.Error(await client.Get("/account/select", (column, "x"), ("_ops", $"{column},begins_with")), 403);
        ApiAssert.Error(await client.PostForm("/account/select", (column, "x")), 403);
        ApiAssert.Error(await client.PostJson("/account/select", new JsonObject { [column] = "x" }), 403);
    }

    [Theory]
    [InlineData("email")]
    [InlineData("name")]
    [InlineData("login")]
    public async Task Select_sorted_by_a_private_column_is_403_for_a_non_admin(string column)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", ("_sort", column)), 403);
    }

    [Fact]
    public async Task Select_by_public_columns_is_allowed()
    {
        var a = await fixture.AddAccount(("alias", "pub-" + Guid.NewGuid().ToString("N")));
        using var client = fixture.Client(a);
        var r = await client.Get("/account/select", ("alias", a.Added!["alias"]!.ToString()), ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Single(r.Data);
    }

    [Fact]
    public async Task Select_with_an_unknown_operator_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", ("alias", "x"), ("_ops", "alias,near")), 400);
        ApiAssert.Error(await client.Get("/account/select", ("alias", "x"), ("_ops", "alias")), 400);
        ApiAssert.Error(await client.Get("/account/select", ("alias", "x"), ("_ops", "alias,eq,id")), 400);
    }

    [Fact]
    public async Task Select_with_an_unknown_sort_column_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/account/select", ("_sort", "nosuch")), 400);
    }
}
