using Backend.Data;

namespace Backend.Api.Data;

/// <summary>The column descriptions <c>/data/columns</c> answers: per column only the properties that are set
/// (<c>type</c> always), named as in the table descriptions. Hidden columns are left out: they do not exist as far
/// as the API is concerned.</summary>
internal static class DataColumns
{
    /// <summary>Every visible column of a table: <c>{column: {type, primary, index, pub, ...}}</c>.</summary>
    public static DbRow Describe(TableSchema table)
    {
        var result = new DbRow();
        foreach (var c in table.Columns)
        {
            if (c.Hidden) continue;
            var p = new DbRow { ["type"] = c.Type.ToString().ToLowerInvariant() };
            if (c.Primary > 0) p["primary"] = (long)c.Primary;
            if (c.Index > 0) p["index"] = (long)c.Index;
            if (c.Pub) p["pub"] = true;
            if (c.Admin) p["admin"] = true;
            if (c.Readonly) p["readonly"] = true;
            if (c.Now) p["now"] = true;
            if (c.Autoincr) p["autoincr"] = true;
            if (c.Location) p["location"] = true;
            if (c.MaxLength > 0) p["max_length"] = (long)c.MaxLength;
            if (c.Value is not null) p["value"] = DbValues.ToText(c.Value);
            result[c.Name] = p;
        }
        return result;
    }
}
