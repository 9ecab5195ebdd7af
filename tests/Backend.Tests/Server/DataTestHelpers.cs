using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>Helpers of the data API tests.</summary>
public static class DataTestHelpers
{
    /// <summary>Every operation of <c>/data/OP/TABLE</c>.</summary>
    public static readonly string[] Operations = ["select", "search", "list", "get", "add", "put", "update", "del", "incr", "replace"];

    /// <summary>A key nobody else uses (external pools keep their tables between runs).</summary>
    public static string UniqueId(string prefix = "data") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The <c>affected</c> count of a write reply.</summary>
    public static long Affected(ApiResponse r)
    {
        ApiAssert.Ok(r);
        Assert.Equal(["affected"], Accounts.Keys(r.Object));
        return r.Object["affected"]!.GetValue<long>();
    }

    /// <summary>A native search condition on one text column in the pool's syntax (SQL, or a DynamoDB filter
    /// expression); null on Redis, which cannot search natively.</summary>
    public static string? EqualsQuery(string column) => BackendServer.Pool switch
    {
        "redis" => null,
        "dynamodb" => $"#{column} = @{column}",
        _ => $"{column} = @{column}",
    };

    /// <summary>Sends a signed GET without the client's leak check that fails on any 5xx, for replies that are
    /// documented 5xx (501 from a driver that cannot search); the error shape is still checked.</summary>
    public static async Task<(int Status, JsonObject Body)> GetAllowing5xx(BackendClient client, string path, params (string Name, string Value)[] query)
    {
        var uri = client.Url(path, BackendClient.Encode(query));
        var signature = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions());
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("bk-signature", signature);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        return ((int)response.StatusCode, Assert.IsType<JsonObject>(JsonNode.Parse(text)));
    }
}
