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
        "redis" or "lmdb" => null,
        "dynamodb" => $"#{column} = @{column}",
        _ => $"{column} = @{column}",
    };
}
