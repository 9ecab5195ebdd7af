using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>Calls shared by the connection and counter tests (the file name keeps it among the files of that area).</summary>
internal static class SocialCalls
{
    /// <summary>The counters of the client's account (or of <paramref name="id"/>), asserting 200.</summary>
    public static async Task<JsonObject> Counters(BackendClient client, string? id = null)
    {
        var r = id is null ? await client.Get("/counter/get") : await client.Get("/counter/get", ("id", id));
        ApiAssert.Ok(r);
        return r.Object;
    }

    /// <summary>A counter value (fails when the property is missing).</summary>
    public static long Counter(JsonObject counters, string name) =>
        counters[name]?.GetValue<long>() ?? throw Xunit.Sdk.FailException.ForFailure($"no {name} in {counters.ToJsonString()}");

    /// <summary>The caller's connections (or references) as (id, type) pairs, sorted, following every page.</summary>
    public static async Task<List<string>> All(BackendClient client, string path, params (string Name, string Value)[] query)
    {
        var list = new List<string>();
        var token = "";
        for (var page = 0; page < 100; page++)
        {
            var r = await client.Get(path, [.. query, ("_count", "1000"), ("_start", token)]);
            ApiAssert.Ok(r);
            list.AddRange(r.Data.Select(x => $"{x!["id"]}/{x["type"]}"));
            token = r.NextToken;
            if (token.Length == 0) break;
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>Adds a connection and asserts 200.</summary>
    public static async Task<JsonObject> Connect(BackendClient client, string id, string type, params (string Name, string Value)[] extra)
    {
        var r = await client.Get("/connection/add", [("id", id), ("type", type), .. extra]);
        ApiAssert.Ok(r);
        return r.Object;
    }
}
