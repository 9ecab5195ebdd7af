using Backend.Data;

namespace Backend.Data.Sql;

/// <summary>What differs between SQL databases. The SQLite dialect is the default; PostgreSQL and MySQL drivers override.
/// A base class for provider packages (public and unsealed by design): a third party's SQL driver derives from it.</summary>
public class SqlDialect
{
    /// <summary>The SQLite dialect.</summary>
    public static SqlDialect Sqlite { get; } = new();

    /// <summary>Quotes an identifier (already validated by <see cref="TableSchema"/>).</summary>
    public virtual string Quote(string name) => "\"" + name + "\"";

    /// <summary>The placeholder for the parameter at a zero-based position.</summary>
    public virtual string Parameter(int index) => "@p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Native column type.</summary>
    public virtual string TypeName(ColumnType type) => type switch
    {
        ColumnType.Int or ColumnType.BigInt or ColumnType.Counter or ColumnType.Bool => "INTEGER",
        ColumnType.Real => "REAL",
        _ => "TEXT",
    };

    /// <summary>What ORDER BY adds so NULLs sort first ascending and last descending (SQLite's own order).</summary>
    public virtual string NullsOrder(bool desc) => "";

    /// <summary>A condition that is false when adding to a counter overflowed, or null when the database raises an
    /// error itself. SQLite silently turns an overflowing integer sum into a REAL, so it needs one.</summary>
    public virtual string? CounterOverflowGuard(string sumExpression) => $"typeof({sumExpression}) = 'integer'";

    /// <summary>Insert-or-replace statement head.</summary>
    public virtual string ReplaceInto => "INSERT OR REPLACE INTO";

    /// <summary>A case-sensitive "starts with" test of column against parameter.</summary>
    public virtual string BeginsWith(string column, string parameter) => $"substr({column}, 1, length({parameter})) = {parameter}";

    /// <summary>A case-sensitive "contains" test.</summary>
    public virtual string Contains(string column, string parameter) => $"instr({column}, {parameter}) > 0";

    /// <summary>A LIKE test as SQLite evaluates it (<c>%</c>, <c>_</c>, ASCII letters in either case, no escape
    /// character, any column type compared as text): SQLite's own LIKE already is that.</summary>
    public virtual string Like(string column, string parameter) => $"{column} LIKE {parameter}";

    /// <summary>The pattern as this database must receive it to mean what it means to SQLite.</summary>
    public virtual string LikePattern(string pattern) => pattern;

    /// <summary>How a value is bound: JSON as text, bool as 0/1 for SQLite.</summary>
    public virtual object? ToParameter(object? value) => value switch
    {
        null => DBNull.Value,
        bool b => b ? 1L : 0L,
        System.Text.Json.Nodes.JsonNode n => n.ToJsonString(),
        _ => value,
    };
}
