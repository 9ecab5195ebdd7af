namespace Backend.Data;

/// <summary>A row as a dictionary of column name to value (string, long, double, bool, JSON node or null).
/// Rows are dynamic on purpose: tables are extended by apps at start-up and API replies pass rows through.</summary>
public sealed class DbRow : Dictionary<string, object?>
{
    /// <summary>An empty row.</summary>
    public DbRow() : base(StringComparer.Ordinal) { }

    /// <summary>An empty row with room for <paramref name="capacity"/> columns: rows read from a database know their
    /// column count, and presizing saves the 0 -> 3 -> 7 -> 17 regrowth (about 550 bytes for an 8-column row).</summary>
    public DbRow(int capacity) : base(capacity, StringComparer.Ordinal) { }

    /// <summary>A copy of the given values.</summary>
    public DbRow(IEnumerable<KeyValuePair<string, object?>> values) : base(values, StringComparer.Ordinal) { }

    /// <summary>The value as a string (numbers formatted invariantly), or null.</summary>
    public string? GetString(string name) => TryGetValue(name, out var v) ? DbValues.ToText(v) : null;

    /// <summary>The value as a long when it is numeric, else null.</summary>
    public long? GetLong(string name) => TryGetValue(name, out var v) ? DbValues.ToLong(v) : null;
}
