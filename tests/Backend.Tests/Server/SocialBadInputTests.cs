using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>A sweep of bad input over every social endpoint (connections, references, counters, locations, messages,
/// status, data): unsigned calls are 400, and garbage parameters in the query, a form or JSON never produce a 5xx,
/// always an error in the documented <c>{status,message}</c> shape (the client also fails on any 5xx, "Exception"
/// or stack trace). The modules' own tests check the exact statuses and that nothing was written.</summary>
public sealed class SocialBadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Sql = "'; drop table bk_account; --";

    public static TheoryData<string> Endpoints => new()
    {
        "/connection/add", "/connection/put", "/connection/update", "/connection/incr", "/connection/del",
        "/connection/get", "/connection/select", "/reference/get", "/reference/select",
        "/counter/get", "/counter/put", "/counter/incr",
        "/location/put", "/location/get",
        "/message/add", "/message/get", "/message/get/archive", "/message/get/sent", "/message/archive",
        "/message/del", "/message/del/archive", "/message/del/sent", "/message/image",
        "/status/put", "/status/get", "/status/del",
        "/data/columns", "/data/keys/bk_account", "/data/select/bk_account", "/data/get/bk_counter", "/data/put/bk_status",
    };

    private static readonly (string Name, string Value)[][] Garbage =
    [
        [("_count", "-1")],
        [("_count", "abc"), ("type", "like")],
        [("_start", "!!!not-a-token"), ("type", "like")],
        [("_token", "eyJ4IjoxfQ"), ("type", "like")],
        [("_ops", "type,bogus"), ("type", "like")],
        [("_ops", "mtime"), ("_desc", "maybe")],
        [("_details", "perhaps"), ("_connected", "2"), ("_archive", "x")],
        [("id", new string('x', 10 * 1024)), ("type", "like")],
        [("id", Sql), ("type", Sql), ("msg", Sql), ("sender", Sql), ("recipient", Sql), ("status", Sql)],
        [("latitude", "200"), ("longitude", "abc"), ("distance", "-5")],
        [("latitude", "NaN"), ("longitude", "Infinity"), ("distance", "1e308")],
        [("mtime", "abc"), ("sender", "x")],
        [("mtime", "99999999999999999999999"), ("recipient", "x")],
        [("ping", "abc"), ("like0", "1e400"), ("like1", "-9223372036854775809")],
        [("icon", "not base64 !!!"), ("id", "x")],
        [("_select", "secret,login,id,../etc"), ("_sort", "secret")],
    ];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Unsigned_calls_are_400(string endpoint)
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get(endpoint, ("id", "x"), ("type", "like")), 400);
        ApiAssert.Error(await client.PostJson(endpoint, new JsonObject { ["id"] = "x" }), 400);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Garbage_parameters_get_a_documented_answer_never_a_5xx(string endpoint)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        foreach (var set in Garbage)
        {
            var json = new JsonObject();
            foreach (var (k, v) in set) json[k] = v;
            foreach (var r in new[] { await client.Get(endpoint, set), await client.PostForm(endpoint, set), await client.PostJson(endpoint, json) })
            {
                Assert.True(r.Status < 500, $"{endpoint} {string.Join('&', set.Select(p => p.Name))}: {r}");
                if (r.Status >= 400)
                {
                    Assert.Equal(r.Status, (int?)r.Json?["status"]);
                    Assert.False(string.IsNullOrEmpty((string?)r.Json?["message"]), r.ToString());
                }
            }
        }
    }
}
