using System.Text.Json.Nodes;
using static Backend.Tests.Server.DataTestHelpers;

namespace Backend.Tests.Server;

/// <summary>Bad input on every data API operation (as an admin, who passes the access check): 4xx in the error shape,
/// never a 5xx, and nothing written.</summary>
public sealed class DataBadInputTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task An_unknown_table_is_404_on_every_path()
    {
        using var client = fixture.Client(fixture.Admin);
        foreach (var op in Operations)
            ApiAssert.Error(await client.Get($"/data/{op}/nope_table", ("id", "x")), 404, "Unknown table: nope_table");
        ApiAssert.Error(await client.Get("/data/columns/nope_table"), 404, "Unknown table: nope_table");
        ApiAssert.Error(await client.Get("/data/keys/nope_table"), 404, "Unknown table: nope_table");
    }

    [Fact]
    public async Task An_unknown_operation_is_404()
    {
        using var client = fixture.Client(fixture.Admin);
        foreach (var op in new[] { "bogus", "query", "scan", "updateall", "delall", "batch", "GET" })
            ApiAssert.Error(await client.Get($"/data/{op}/bk_status", ("id", "x")), 404, $"Unknown operation: {op}");
        ApiAssert.Error(await client.Get("/data/get"), 404);
        ApiAssert.Error(await client.Get("/data/get/bk_status/extra", ("id", "x")), 404);
    }

    [Fact]
    public async Task A_missing_key_is_400_and_nothing_is_written()
    {
        using var client = fixture.Client(fixture.Admin);
        var status = UniqueId("nokey");
        foreach (var op in new[] { "get", "add", "put", "update", "incr", "replace", "del", "list" })
        {
            ApiAssert.Error(await client.Get($"/data/{op}/bk_status", ("status", status)), 400);
            ApiAssert.Error(await client.Get($"/data/{op}/bk_status", ("id", ""), ("status", status)), 400);
        }
        ApiAssert.Error(await client.PostJson("/data/list/bk_status", new JsonObject { ["id"] = new JsonArray() }), 400);
        ApiAssert.Error(await client.Get("/data/list/bk_status", ("id", string.Join(',', Enumerable.Range(0, 1001).Select(i => $"k{i}")))), 400);
        var found = await client.Get("/data/select/bk_status", ("status", status), ("_noscan", "1"));
        ApiAssert.Ok(found);
        Assert.Empty(found.Data);
    }

    [Fact]
    public async Task A_wrong_type_and_a_too_long_value_are_400_and_nothing_is_written()
    {
        var a = await fixture.AddAccount(("alias", "before"));
        using var client = fixture.Client(fixture.Admin);
        foreach (var op in new[] { "update", "replace", "incr", "put" })
        {
            ApiAssert.Error(await client.Get($"/data/{op}/bk_account", ("id", a.Id), ("alias", "after"), ("ctime", "not a number")), 400);
            ApiAssert.Error(await client.Get($"/data/{op}/bk_account", ("id", a.Id), ("alias", "after"), ("latitude", "north")), 400);
            ApiAssert.Error(await client.Get($"/data/{op}/bk_account", ("id", a.Id), ("alias", new string('y', 2000))), 400);
        }
        var id = UniqueId();
        ApiAssert.Error(await client.Get("/data/add/bk_status", ("id", id), ("status", new string('z', 5000))), 400);
        ApiAssert.Error(await client.Get("/data/add/bk_status", ("id", new string('i', 200)), ("status", "x")), 400);
        ApiAssert.Error(await client.Get("/data/get/bk_status", ("id", id)), 404);
        ApiAssert.Error(await client.Get("/data/select/bk_account", ("ctime", "yesterday")), 400);

        var row = await client.Get("/data/get/bk_account", ("id", a.Id));
        Assert.Equal("before", row.Str("alias"));
    }

    [Fact]
    public async Task Bad_options_are_400_on_every_operation_and_nothing_is_written()
    {
        using var client = fixture.Client(fixture.Admin);
        var id = UniqueId();
        var bad = new (string Name, string Value)[][]
        {
            [("_count", "-1")],
            [("_count", "abc")],
            [("_count", "1001")],
            [("_ops", "id,bogus")],
            [("_ops", "id")],
            [("_sort", "nosuchcolumn")],
            [("_desc", "maybe")],
            [("_noprocessrows", "maybe")],
        };
        foreach (var op in Operations)
        {
            foreach (var options in bad)
            {
                ApiAssert.Error(await client.Get($"/data/{op}/bk_status", [("id", id), ("status", "x"), ("_query", "1 = 1"), .. options]), 400);
            }
        }
        ApiAssert.Error(await client.Get("/data/get/bk_status", ("id", id)), 404);
    }

    [Fact]
    public async Task A_malformed_token_is_400()
    {
        using var client = fixture.Client(fixture.Admin);
        var id = UniqueId();
        foreach (var token in new[] { "!!!", "bm90IGpzb24", "WzEsMiwzXQ" })
        {
            ApiAssert.Error(await client.Get("/data/select/bk_status", ("id", id), ("_start", token)), 400);
            ApiAssert.Error(await client.Get("/data/select/bk_status", ("id", id), ("_token", token)), 400);
        }
    }

    [Fact]
    public async Task Bad_JSON_and_server_errors_never_leak()
    {
        using var client = fixture.Client(fixture.Admin);
        ApiAssert.Error(await client.PostJson("/data/get/bk_status", "{not json"), 400);
        var r = await client.PostJson("/data/list/bk_status", new JsonObject { ["id"] = new JsonArray(new JsonObject { ["x"] = 1 }, 5) });
        Assert.True(r.Status is 200 or 400, r.ToString());
    }
}
