using System.Globalization;
using System.Text.Json;
using Backend.Data;
using Microsoft.AspNetCore.Http;

namespace Backend.Http;

/// <summary>What the pipeline knows of a request once it passed the access checks: its parameters (query, form
/// body or JSON object body merged, body winning) and the authenticated account, if any.</summary>
public sealed class ApiRequest
{
    internal ApiRequest(Dictionary<string, string> parameters, JsonElement? json)
    {
        Params = parameters;
        Json = json;
    }

    /// <summary>Request parameters. Names starting with <c>_</c> are options; the rest are column values.</summary>
    public Dictionary<string, string> Params { get; }

    /// <summary>The parsed JSON body, when the request had one.</summary>
    public JsonElement? Json { get; }

    /// <summary>The authenticated account's <c>bk_auth</c> row (id, login, type, ...), or null for an anonymous request.</summary>
    public DbRow? Account { get; internal set; }

    /// <summary>The authenticated account id, or null.</summary>
    public string? AccountId => Account?.GetString("id");

    /// <summary>True when the account's type is admin.</summary>
    public bool IsAdmin => Account?.GetString("type") is { } t && t.Split(',').Contains("admin", StringComparer.Ordinal);

    /// <summary>The account id or a 401 when the request is anonymous (an allow-listed path called without signature).</summary>
    public string RequireAccountId() => AccountId ?? throw new ApiException(401, "Not authenticated");

    /// <summary>A parameter value, or null when missing or empty.</summary>
    public string? Get(string name) => Params.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    /// <summary>A required parameter, or a 400 naming it.</summary>
    public string Require(string name) => Get(name) ?? throw ApiException.BadRequest($"{name} is required");

    /// <summary>A boolean option (<c>1</c>, <c>true</c>, ...), false when missing.</summary>
    public bool Flag(string name) => Get(name) is { } v && (DbValues.ToBool(v) ?? throw ApiException.BadRequest($"{name} must be a boolean"));

    /// <summary>An integer parameter within a range, or the fallback when missing; a 400 when malformed.</summary>
    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Get(name) is not { } v) return fallback;
        if (!int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw ApiException.BadRequest($"{name} must be an integer between {min} and {max}");
        return n;
    }

    /// <summary>Column values: the parameters that are not options.</summary>
    public DbRow Columns()
    {
        var row = new DbRow();
        foreach (var (k, v) in Params)
            if (!k.StartsWith('_')) row[k] = v;
        return row;
    }
}

/// <summary>Access to the <see cref="ApiRequest"/> of a request.</summary>
public static class ApiRequestExtensions
{
    /// <summary>The request's parameters and account (set by the access pipeline).</summary>
    public static ApiRequest Api(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<ApiRequest>() ?? throw new InvalidOperationException("the Backend access pipeline did not run for this request");
    }
}
