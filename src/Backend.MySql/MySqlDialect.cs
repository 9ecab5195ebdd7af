using Backend.Data;
using Backend.Data.Sql;

namespace Backend.MySql;

/// <summary>The MySQL/MariaDB dialect: backquoted names, <c>@pN</c> parameters, native types. NULLs already sort
/// first ascending and last descending in MySQL, like SQLite. Text comparisons are case-sensitive because text
/// columns use a binary collation (see <see cref="MySqlSqlBuilder"/>).</summary>
internal sealed class MySqlDialect : SqlDialect
{
    /// <summary>The one instance.</summary>
    public static MySqlDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string Quote(string name) => "`" + name + "`";

    /// <summary>Types of columns that are in no key or index; text and JSON in a key or index are VARCHAR (see
    /// <see cref="MySqlSqlBuilder.ColumnDefinition(TableSchema, ColumnSchema)"/>).</summary>
    public override string TypeName(ColumnType type) => type switch
    {
        ColumnType.Int or ColumnType.BigInt or ColumnType.Counter => "BIGINT",
        ColumnType.Real => "DOUBLE",
        ColumnType.Bool => "TINYINT(1)",
        _ => "LONGTEXT",
    };

    /// <summary>Not used: Put is an <c>INSERT ... ON DUPLICATE KEY UPDATE</c>.</summary>
    public override string ReplaceInto => "REPLACE INTO";

    /// <summary>Case-sensitive through the column's binary collation; CHAR_LENGTH, not LENGTH (bytes).</summary>
    public override string BeginsWith(string column, string parameter) => $"LEFT({column}, CHAR_LENGTH({parameter})) = {parameter}";

    /// <inheritdoc />
    public override string Contains(string column, string parameter) => $"LOCATE({parameter}, {column}) > 0";

    /// <inheritdoc />
    public override string Like(string column, string parameter) => $"LOWER({column}) LIKE LOWER({parameter})";

    /// <summary>Backslash is MySQL's LIKE escape character: doubled, it matches itself as in SQLite.</summary>
    public override string LikePattern(string pattern) => pattern.Replace("\\", "\\\\", StringComparison.Ordinal);

    /// <summary>The server raises an out-of-range error on an overflowing BIGINT sum (mapped to 400): no guard needed.</summary>
    public override string? CounterOverflowGuard(string sumExpression) => null;
}
