using Backend.Data;

namespace Backend.Api;

/// <summary>Which of a request's values a caller may write to a table, shared by every module that stores client
/// input (accounts, connections, counters, messages, ...).</summary>
internal static class WritableColumns
{
    /// <summary>The columns a caller may write: never keys, hidden, <c>now</c> or location columns through the API;
    /// readonly columns only on add; admin columns only for admins.</summary>
    public static DbRow From(TableSchema table, IReadOnlyDictionary<string, string> values, bool isAdmin, bool forAdd)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(values);
        var row = new DbRow();
        foreach (var (name, value) in values)
        {
            if (name.StartsWith('_') || table.Column(name) is not { } c) continue;
            if (c.Primary > 0 || c.Hidden || c.Now || c.Location) continue;
            if (c.Readonly && !forAdd) continue;
            if (c.Admin && !isAdmin) continue;
            row[name] = value;
        }
        return row;
    }
}
