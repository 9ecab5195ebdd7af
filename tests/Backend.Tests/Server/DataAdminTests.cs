using System.Text.Json.Nodes;
using static Backend.Tests.Server.DataTestHelpers;

namespace Backend.Tests.Server;

/// <summary>The data API with the default (secure) configuration: admins may do everything, everybody else gets 403;
/// hidden columns never come back, not even to admins; table scans are refused.</summary>
public sealed class DataAdminTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task Every_data_path_is_403_for_a_non_admin()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var paths = new List<string> { "/data/columns", "/data/columns/bk_account", "/data/keys/bk_account", "/data/get/nope", "/data/bogus/bk_account" };
        paths.AddRange(Operations.Select(op => $"/data/{op}/bk_account"));
        foreach (var path in paths)
        {
            ApiAssert.Error(await client.Get(path, ("id", a.Id), ("alias", "x")), 403);
            ApiAssert.Error(await client.PostForm(path, ("id", a.Id), ("alias", "x")), 403);
        }
        // and nothing was changed by the refused writes
        using var me = fixture.Client(a);
        Assert.NotEqual("x", (await me.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task An_anonymous_request_is_400_no_signature()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/data/columns"), 400);
        ApiAssert.Error(await client.Get("/data/get/bk_account", ("id", fixture.Admin.Id)), 400);
    }

    [Fact]
    public async Task Columns_for_an_admin_describe_every_table_without_hidden_columns()
    {
        using var client = fixture.Client(fixture.Admin);
        var r = await client.Get("/data/columns");
        ApiAssert.Ok(r);
        var tables = r.Object;
        foreach (var name in new[] { "bk_auth", "bk_account", "bk_status" }) Assert.True(tables.ContainsKey(name), $"no {name} in {r}");
        var id = Assert.IsType<JsonObject>(tables["bk_account"]!["id"]);
        Assert.Equal("text", id["type"]!.GetValue<string>());
        Assert.Equal(1, id["primary"]!.GetValue<long>());
        Assert.True(id["pub"]!.GetValue<bool>());
        Assert.True(tables["bk_account"]!["type"]!["admin"]!.GetValue<bool>());
        Assert.Equal("bigint", tables["bk_status"]!["mtime"]!["type"]!.GetValue<string>());
        Assert.True(tables["bk_status"]!["mtime"]!["now"]!.GetValue<bool>());
        Assert.False(Assert.IsType<JsonObject>(tables["bk_auth"]).ContainsKey("secret"));

        var one = await client.Get("/data/columns/bk_auth");
        ApiAssert.Ok(one);
        Assert.Contains("login", Accounts.Keys(one.Object));
        Assert.DoesNotContain("secret", Accounts.Keys(one.Object));
    }

    [Fact]
    public async Task Keys_for_an_admin_are_in_order()
    {
        using var client = fixture.Client(fixture.Admin);
        var r = await client.Get("/data/keys/bk_account");
        ApiAssert.Ok(r);
        Assert.Equal(["id"], r.Array.Select(x => x!.GetValue<string>()));
        Assert.Equal(["login"], (await client.Get("/data/keys/bk_auth")).Array.Select(x => x!.GetValue<string>()));
        Assert.Equal(["id"], (await client.Get("/data/keys/bk_status")).Array.Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public async Task An_admin_can_run_every_operation_on_bk_status()
    {
        using var client = fixture.Client(fixture.Admin);
        var id = UniqueId();
        var missing = UniqueId();
        Assert.Equal(1, Affected(await client.Get("/data/add/bk_status", ("id", id), ("status", "one"))));
        ApiAssert.Error(await client.Get("/data/add/bk_status", ("id", id), ("status", "again")), 409);

        var get = await client.Get("/data/get/bk_status", ("id", id));
        ApiAssert.Ok(get);
        Assert.Equal("one", get.Str("status"));
        Assert.True(get.Object["online"]!.GetValue<bool>(), "the bk_status row processor adds online");
        Assert.True(get.Object["mtime"]!.GetValue<long>() > 0);
        var raw = await client.Get("/data/get/bk_status", ("id", id), ("_noprocessrows", "1"));
        ApiAssert.Ok(raw);
        Assert.Equal(["id", "mtime", "status"], Accounts.Keys(raw.Object));

        Assert.Equal(1, Affected(await client.PostForm("/data/update/bk_status", ("id", id), ("status", "two"))));
        Assert.Equal("two", (await client.Get("/data/get/bk_status", ("id", id))).Str("status"));
        Assert.Equal(0, Affected(await client.Get("/data/update/bk_status", ("id", missing), ("status", "x"))));
        ApiAssert.Error(await client.Get("/data/get/bk_status", ("id", missing)), 404);

        Assert.Equal(1, Affected(await client.PostJson("/data/replace/bk_status", new JsonObject { ["id"] = id, ["status"] = "three" })));
        Assert.Equal("three", (await client.Get("/data/get/bk_status", ("id", id))).Str("status"));
        Assert.Equal(1, Affected(await client.Get("/data/put/bk_status", ("id", id), ("status", "four"))));
        Assert.Equal(1, Affected(await client.Get("/data/incr/bk_status", ("id", id), ("status", "five"))));
        Assert.Equal("five", (await client.Get("/data/get/bk_status", ("id", id))).Str("status"));

        var id2 = UniqueId();
        Assert.Equal(1, Affected(await client.Get("/data/put/bk_status", ("id", id2), ("status", "other"))));
        var list = await client.Get("/data/list/bk_status", ("id", $"{id2},{missing},{id}"));
        ApiAssert.Ok(list);
        Assert.Equal([id2, id], list.Data.Select(x => x!["id"]!.GetValue<string>()));
        Assert.Equal("", list.NextToken);
        var jsonList = await client.PostJson("/data/list/bk_status", new JsonObject { ["id"] = new JsonArray(id, id2), ["_select"] = "status" });
        ApiAssert.Ok(jsonList);
        Assert.Equal(["five", "other"], jsonList.Data.Select(x => x!["status"]!.GetValue<string>()));

        var select = await client.Get("/data/select/bk_status", ("id", $"{id},{id2}"), ("_ops", "id,in"), ("_count", "1"));
        ApiAssert.Ok(select);
        Assert.Single(select.Data);
        Assert.NotEqual("", select.NextToken);
        var next = await client.Get("/data/select/bk_status", ("id", $"{id},{id2}"), ("_ops", "id,in"), ("_count", "1"), ("_start", select.NextToken));
        ApiAssert.Ok(next);
        Assert.Equal(new[] { id, id2 }.Order(StringComparer.Ordinal), select.Data.Concat(next.Data).Select(x => x!["id"]!.GetValue<string>()));

        Assert.Equal(1, Affected(await client.Get("/data/del/bk_status", ("id", id))));
        ApiAssert.Error(await client.Get("/data/get/bk_status", ("id", id)), 404);
        Assert.Equal(0, Affected(await client.Get("/data/del/bk_status", ("id", id))));
        Assert.Equal(1, Affected(await client.Get("/data/del/bk_status", ("id", id2))));
    }

    [Fact]
    public async Task An_admin_can_run_every_operation_on_bk_account()
    {
        using var client = fixture.Client(fixture.Admin);
        var id = UniqueId("acct");
        var alias = UniqueId("alias");
        Assert.Equal(1, Affected(await client.PostForm("/data/add/bk_account", ("id", id), ("name", "Data Row"), ("alias", alias), ("ctime", "1000"), ("latitude", "1.5"))));
        ApiAssert.Error(await client.Get("/data/add/bk_account", ("id", id), ("name", "twice")), 409);
        var row = await client.Get("/data/get/bk_account", ("id", id));
        ApiAssert.Ok(row);
        Assert.Equal("Data Row", row.Str("name"));
        Assert.Equal(1000, row.Object["ctime"]!.GetValue<long>());
        Assert.Equal(1.5, row.Object["latitude"]!.GetValue<double>());

        var select = await client.Get("/data/select/bk_account", ("alias", alias), ("_select", "id,name"));
        ApiAssert.Ok(select);
        Assert.Equal(["id", "name"], Accounts.Keys(Assert.Single(select.Data)));
        var byPrefix = await client.Get("/data/select/bk_account", ("alias", alias[..^4]), ("_ops", "alias,begins_with"));
        Assert.Equal(id, Assert.Single(byPrefix.Data)!["id"]!.GetValue<string>());

        Assert.Equal(1, Affected(await client.Get("/data/update/bk_account", ("id", id), ("city", "Paris"))));
        Assert.Equal(1, Affected(await client.Get("/data/incr/bk_account", ("id", id), ("ctime", "2000"))));
        Assert.Equal(1, Affected(await client.Get("/data/replace/bk_account", ("id", id), ("country", "FR"))));
        row = await client.Get("/data/get/bk_account", ("id", id));
        Assert.Equal("Paris|FR|Data Row", $"{row.Str("city")}|{row.Str("country")}|{row.Str("name")}");
        Assert.Equal(2000, row.Object["ctime"]!.GetValue<long>());

        Assert.Equal(1, Affected(await client.Get("/data/put/bk_account", ("id", id), ("name", "Replaced"))));
        row = await client.Get("/data/get/bk_account", ("id", id));
        Assert.Equal("Replaced", row.Str("name"));
        Assert.Null(row.Object["city"]);

        var list = await client.Get("/data/list/bk_account", ("id", $"{id},{fixture.Admin.Id}"), ("_select", "name"));
        ApiAssert.Ok(list);
        Assert.Equal(["Replaced", "Admin"], list.Data.Select(x => x!["name"]!.GetValue<string>()));
        Assert.All(list.Data, x => Assert.Equal(["name"], Accounts.Keys(x)));

        Assert.Equal(1, Affected(await client.Get("/data/del/bk_account", ("id", id))));
        ApiAssert.Error(await client.Get("/data/get/bk_account", ("id", id)), 404);
    }

    [Fact]
    public async Task NoProcessRows_works_on_every_read()
    {
        using var client = fixture.Client(fixture.Admin);
        var id = UniqueId();
        Assert.Equal(1, Affected(await client.Get("/data/put/bk_status", ("id", id), ("status", "p"))));
        var reads = new[] { "get", "list", "select" };
        foreach (var op in reads)
        {
            var processed = await client.Get($"/data/{op}/bk_status", ("id", id));
            var raw = await client.Get($"/data/{op}/bk_status", ("id", id), ("_noprocessrows", "1"));
            ApiAssert.Ok(processed);
            ApiAssert.Ok(raw);
            var p = op == "get" ? processed.Object : Assert.IsType<JsonObject>(Assert.Single(processed.Data));
            var r = op == "get" ? raw.Object : Assert.IsType<JsonObject>(Assert.Single(raw.Data));
            Assert.True(p.ContainsKey("online"), $"{op}: {processed}");
            Assert.False(r.ContainsKey("online"), $"{op}: {raw}");
        }
    }

    [Fact]
    public async Task An_admin_writes_admin_columns_of_any_account()
    {
        var a = await fixture.AddAccount();
        using var admin = fixture.Client(fixture.Admin);
        Assert.Equal(1, Affected(await admin.Get("/data/update/bk_account", ("id", a.Id), ("type", "vip"), ("alias", "by admin"))));
        var r = await admin.Get("/data/get/bk_account", ("id", a.Id));
        ApiAssert.Ok(r);
        Assert.Equal("vip", r.Str("type"));
        Assert.Equal("by admin", r.Str("alias"));
        Assert.Equal(a.Login, r.Str("login"));
    }

    [Fact]
    public async Task Bk_auth_never_shows_the_secret_even_to_an_admin()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(fixture.Admin);
        var calls = new List<Func<Task<ApiResponse>>>
        {
            () => client.Get("/data/get/bk_auth", ("login", a.Login)),
            () => client.Get("/data/get/bk_auth", ("login", a.Login), ("_select", "secret,login,id")),
            () => client.Get("/data/get/bk_auth", ("login", a.Login), ("_select", "secret")),
            () => client.Get("/data/list/bk_auth", ("login", a.Login), ("_select", "secret")),
            () => client.Get("/data/select/bk_auth", ("login", a.Login)),
            () => client.Get("/data/select/bk_auth", ("login", a.Login), ("_select", "secret,login")),
            () => client.PostJson("/data/select/bk_auth", new JsonObject { ["login"] = a.Login, ["_select"] = "secret" }),
        };
        foreach (var call in calls)
        {
            var r = await call();
            ApiAssert.Ok(r);
            Assert.DoesNotContain(a.Secret, r.Body, StringComparison.Ordinal);
            Assert.False(ApiResponse.HasProperty(r.Json, "secret"));
        }
        var row = (await client.Get("/data/get/bk_auth", ("login", a.Login))).Object;
        Assert.Equal(a.Id, row["id"]!.GetValue<string>());

        if (EqualsQuery("login") is { } q)
        {
            var s = await client.Get("/data/search/bk_auth", ("_query", q), ("login", a.Login));
            ApiAssert.Ok(s);
            Assert.Equal(a.Login, Assert.Single(s.Data)!["login"]!.GetValue<string>());
            Assert.DoesNotContain(a.Secret, s.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Conditions_on_the_secret_are_403_even_for_an_admin()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Error(await client.Get("/data/select/bk_auth", ("login", a.Login), ("secret", a.Secret)), 403);
        ApiAssert.Error(await client.Get("/data/select/bk_auth", ("login", a.Login), ("_sort", "secret")), 403);
        ApiAssert.Error(await client.Get("/data/search/bk_auth", ("_query", "secret = @secret"), ("secret", a.Secret)), 403);
        ApiAssert.Error(await client.Get("/data/search/bk_auth", ("_query", "\"SECRET\" = @x"), ("x", a.Secret)), 403);
    }

    [Fact]
    public async Task Select_without_conditions_is_refused_even_with_noscan_0_when_not_unsecure()
    {
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Error(await client.Get("/data/select/bk_status"), 400);
        ApiAssert.Error(await client.Get("/data/select/bk_status", ("_noscan", "0")), 400);
        ApiAssert.Error(await client.Get("/data/select/bk_status", ("_noscan", "0"), ("nosuchcolumn", "x")), 400);
    }

    [Fact]
    public async Task An_admin_search_runs_a_native_condition()
    {
        var alias = UniqueId("alias");
        var a = await fixture.AddAccount(("alias", alias));
        using var client = fixture.Client(fixture.Admin);
        if (EqualsQuery("alias") is not { } q)
        {
            // No native search on this pool (Redis, LMDB): a 400 that says so.
            var refused = await client.Get("/data/search/bk_account", ("_query", "alias = @alias"), ("alias", alias));
            ApiAssert.Error(refused, 400);
            Assert.Contains("not supported", refused.Body, StringComparison.Ordinal);
            return;
        }
        var r = await client.Get("/data/search/bk_account", ("_query", q), ("alias", alias));
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Data);
        Assert.Equal(a.Id, row!["id"]!.GetValue<string>());
        Assert.Equal("", r.NextToken);
    }

    [Fact]
    public async Task Bad_queries_in_an_admin_search_are_4xx()
    {
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("alias", "x")), 400);
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "alias = @alias; DELETE FROM bk_account"), ("alias", "x")), 400);
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "alias = @alias -- x"), ("alias", "x")), 400);
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "alias = 'x"), ("alias", "x")), 400);
        ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "alias = @alias"), ("_count", "-1"), ("alias", "x")), 400);
        if (BackendServer.Pool != "redis")
        {
            ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "alias = @nosuch")), 400);
            ApiAssert.Error(await client.Get("/data/search/bk_account", ("_query", "((( not a query")), 400);
        }
    }
}
