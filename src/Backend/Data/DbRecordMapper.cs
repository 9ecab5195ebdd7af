using System.Text.Json;

namespace Backend.Data;

/// <summary>Typed mapping of the <see cref="Db"/> facade: a row as a record or class, snake_case columns to PascalCase
/// properties (and <see cref="DbColumnAttribute"/> renames), through System.Text.Json so a record's constructor, nullable
/// and numeric conversions work as they do for JSON.</summary>
internal static class DbRecordMapper
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static T ToRecord<T>(DbRow row)
    {
        var renames = RowReader.Renames(typeof(T));
        if (renames.Count > 0)
        {
            row = new DbRow(row);
            foreach (var (column, property) in renames)
                if (row.Remove(column, out var v)) row[property] = v;
        }
        return JsonSerializer.SerializeToElement(row, Options).Deserialize<T>(Options)!;
    }
}
