using System.Text.Json.Serialization;

namespace Backend.Data;

/// <summary>The result of any database call: rows, the token for the next page ("" when done) and the affected count for writes.</summary>
public sealed class DbResult
{
    /// <summary>Returned rows.</summary>
    [JsonPropertyName("data")]
    public List<DbRow> Rows { get; init; } = [];

    /// <summary>Token for the next page, empty when there is none.</summary>
    [JsonPropertyName("next_token")]
    public string NextToken { get; init; } = "";

    /// <summary>Rows written or deleted.</summary>
    [JsonIgnore]
    public int Affected { get; init; }
}

/// <summary>A page of typed rows and the token for the next page ("" when done).</summary>
public sealed record DbResult<T>(IReadOnlyList<T> Rows, string NextToken);
