using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backend.Data;

/// <summary>Opaque paging tokens: the ordering values of the last returned row (keyset paging), so following tokens
/// visits every matching row exactly once even while rows are added. base64url of a JSON array.</summary>
public static class PagingToken
{
    /// <summary>A token for the given ordering values.</summary>
    public static string Encode(IReadOnlyList<object?> values)
    {
        var json = new JsonArray([.. values.Select(v => v is JsonNode n ? n.DeepClone() : JsonValue.Create(v))]).ToJsonString();
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Decodes a token into values converted for the given columns; a token that does not fit throws 400.</summary>
    public static IReadOnlyList<object?> Decode(string token, IReadOnlyList<ColumnSchema> columns)
    {
        try
        {
            var bytes = Base64Url.DecodeFromChars(token);
            if (JsonNode.Parse(bytes) is JsonArray array && array.Count == columns.Count)
            {
                var values = array.Select((n, i) => DbValues.Convert(columns[i], n is null ? null : JsonSerializer.SerializeToElement(n))).ToList();
                // Key columns are never NULL; a token claiming one was not made by us.
                if (!values.Where((v, i) => v is null && columns[i].Primary > 0).Any()) return values;
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException or DbException)
        {
            // fall through to the one error below
        }
        throw DbException.BadInput("invalid paging token");
    }
}
