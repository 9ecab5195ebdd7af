namespace Backend.Data;

/// <summary>Turns the rows of a select that asked for count + 1 into a page and its next token; shared by drivers.</summary>
public static class SelectPaging
{
    /// <summary>Cuts the extra row, makes the token from the last returned row's ordering values and drops
    /// ordering columns the caller did not select.</summary>
    public static DbResult Page(List<DbRow> rows, IReadOnlyList<ColumnSchema> order, int? count, IReadOnlyList<string>? select)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(order);
        var token = "";
        if (count is int n && rows.Count > n)
        {
            rows.RemoveRange(n, rows.Count - n);
            if (n > 0)
            {
                var last = rows[^1];
                token = PagingToken.Encode([.. order.Select(c => last.GetValueOrDefault(c.Name))]);
            }
        }
        if (select is { Count: > 0 })
        {
            var keep = new HashSet<string>(select, StringComparer.Ordinal);
            foreach (var row in rows)
                foreach (var c in order)
                    if (!keep.Contains(c.Name)) row.Remove(c.Name);
        }
        return new DbResult { Rows = rows, NextToken = token };
    }
}
