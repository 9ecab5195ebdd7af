using Backend.Data;
using Backend.Http;

namespace Backend.Api;

/// <summary>Reads the database options a client passes with a leading underscore: <c>_select</c>, <c>_ops</c>
/// (pairs <c>column,op,column,op</c>), <c>_count</c>, <c>_start</c> (or <c>_token</c>), <c>_desc</c>, <c>_sort</c>.</summary>
internal static class ApiOptions
{
    /// <summary>Rows per page when the client does not say.</summary>
    public const int DefaultCount = 50;

    /// <summary>Most rows one page may ask for.</summary>
    public const int MaxCount = 1000;

    /// <summary>Parses the options; 400 on a malformed one (unknown operator, negative count, ...).</summary>
    public static DbOptions Parse(ApiRequest api, TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(table);
        var o = new DbOptions
        {
            Count = api.Int("_count", DefaultCount, 0, MaxCount),
            Start = api.Get("_start") ?? api.Get("_token"),
            Desc = api.Flag("_desc"),
            Sort = api.Get("_sort"),
        };
        if (api.Get("_select") is { } select) o.Select = [.. select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        if (api.Get("_ops") is { } ops)
        {
            var parts = ops.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length % 2 != 0) throw ApiException.BadRequest("_ops must be pairs: column,op,column,op");
            for (var i = 0; i < parts.Length; i += 2)
            {
                if (!DbCompareNames.TryParse(parts[i + 1], out var op)) throw ApiException.BadRequest($"_ops: unknown operator {parts[i + 1]}");
                o.Ops[parts[i]] = op;
            }
        }
        if (o.Sort is not null && !table.HasColumn(o.Sort)) throw ApiException.BadRequest($"_sort: unknown column {o.Sort}");
        return o;
    }
}
