using Backend.Http;

namespace Backend.Api.Connections;

/// <summary>Validation of the connection parameters, done before anything is read or written.</summary>
internal static class ConnectionInput
{
    /// <summary>The <c>type</c> parameter: null when missing and optional, else 1..64 characters without a colon
    /// (the colon separates the type from the other id in the stored key).</summary>
    public static string? Type(ApiRequest api, bool required)
    {
        var type = required ? api.Require("type") : api.Get("type");
        if (type is null) return null;
        if (type.Length > ConnectionTables.MaxTypeLength) throw ApiException.BadRequest($"type must be at most {ConnectionTables.MaxTypeLength} characters");
        if (type.Contains(':', StringComparison.Ordinal)) throw ApiException.BadRequest("type must not contain ':'");
        return type;
    }

    /// <summary>The <c>id</c> parameter (the other account): null when missing and optional.</summary>
    public static string? Other(ApiRequest api, bool required)
    {
        var id = required ? api.Require("id") : api.Get("id");
        if (id is null) return null;
        if (id.Length > ConnectionTables.MaxIdLength) throw ApiException.BadRequest($"id must be at most {ConnectionTables.MaxIdLength} characters");
        return id;
    }
}
