using System.Text.Json;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Data;

/// <summary>The keys of <c>/data/list/TABLE</c>: every primary-key column carries its values, comma-separated
/// (<c>id=A,B,C</c>) or as a JSON array in a JSON body (<c>{"id":["A","B"]}</c>, for values containing commas). With a
/// composite key each key column gives the same number of values and they are paired by position
/// (<c>id=A,A&amp;type=like,follow</c> lists (A,like) and (A,follow)).</summary>
internal static class DataListKeys
{
    /// <summary>The key rows, in the order given, duplicates removed; 400 when a key column is missing, the counts
    /// differ or there are more than <see cref="ApiOptions.MaxCount"/>.</summary>
    public static List<DbRow> Parse(ApiRequest api, TableSchema table)
    {
        var columns = table.PrimaryKeys.Select(k => (Name: k, Values: Values(api, k))).ToList();
        foreach (var (name, values) in columns)
            if (values.Count == 0) throw ApiException.BadRequest($"list needs values of the key column {name}");
        var count = columns[0].Values.Count;
        if (columns.Any(c => c.Values.Count != count))
            throw ApiException.BadRequest($"list needs the same number of values for every key column ({string.Join(", ", table.PrimaryKeys)})");
        if (count > ApiOptions.MaxCount) throw ApiException.BadRequest($"at most {ApiOptions.MaxCount} keys");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<DbRow>(count);
        for (var i = 0; i < count; i++)
        {
            var key = new DbRow();
            // Canonical values (a wrong type is a 400 here), so they compare equal to what the database returns.
            foreach (var (name, values) in columns) key[name] = DbValues.Convert(table.Column(name)!, values[i]);
            if (seen.Add(Identity(table, key))) keys.Add(key);
        }
        return keys;
    }

    /// <summary>A string identifying a row by its key values (to put fetched rows back in the order asked).</summary>
    public static string Identity(TableSchema table, DbRow row) =>
        string.Join('\u0001', table.PrimaryKeys.Select(k => row.GetString(k) ?? ""));

    private static List<string> Values(ApiRequest api, string column)
    {
        // A JSON array keeps values that contain commas; the merged parameters have it joined with commas.
        if (api.Json is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(column, out var e) && e.ValueKind == JsonValueKind.Array)
            return [.. e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())];
        return api.Get(column) is { } text ? [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)] : [];
    }
}
