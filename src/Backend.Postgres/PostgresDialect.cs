using System.Globalization;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Data.Sql;

namespace Backend.Postgres;

/// <summary>The PostgreSQL dialect: positional <c>$n</c> parameters, native types, byte-order ("C") text so text
/// compares and sorts exactly like SQLite's binary collation, and NULLs first ascending / last descending.</summary>
internal sealed class PostgresDialect : SqlDialect
{
    /// <summary>The one instance.</summary>
    public static PostgresDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string Parameter(int index) => "$" + (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override string TypeName(ColumnType type) => type switch
    {
        ColumnType.Int or ColumnType.BigInt or ColumnType.Counter => "BIGINT",
        ColumnType.Real => "DOUBLE PRECISION",
        ColumnType.Bool => "BOOLEAN",
        ColumnType.Json => "JSONB",
        // "C": code point order and case-sensitive equality whatever the database's default collation is.
        _ => "TEXT COLLATE \"C\"",
    };

    /// <inheritdoc />
    public override string NullsOrder(bool desc) => desc ? " NULLS LAST" : " NULLS FIRST";

    /// <summary>Not used: Put is an <c>INSERT ... ON CONFLICT DO UPDATE</c> (see <see cref="PostgresSqlBuilder"/>).</summary>
    public override string ReplaceInto => "INSERT INTO";

    /// <summary>Case-sensitive prefix test. The column is cast to text so it also works on numbers (like SQLite); the
    /// range test in front lets a btree index on a text column narrow the scan (in "C" order every string that starts
    /// with the prefix sorts at or after it).</summary>
    public override string BeginsWith(string column, string parameter) =>
        $"({column}::text COLLATE \"C\" >= {parameter} AND starts_with({column}::text, {parameter}))";

    /// <inheritdoc />
    public override string Contains(string column, string parameter) => $"strpos({column}::text, {parameter}) > 0";

    /// <summary>Values bind with their own types (bool as boolean); JSON binds as jsonb.</summary>
    public override object? ToParameter(object? value) => value switch
    {
        null => DBNull.Value,
        JsonNode n => new PostgresJson(n.ToJsonString()),
        _ => value,
    };

    /// <inheritdoc />
    public override string Like(string column, string parameter) => $"lower({column}::text) LIKE lower({parameter}) ESCAPE ''";

    /// <summary>The server raises an out-of-range error on an overflowing BIGINT sum (mapped to 400): no guard needed.</summary>
    public override string? CounterOverflowGuard(string sumExpression) => null;
}

/// <summary>A JSON value to bind as jsonb.</summary>
internal sealed record PostgresJson(string Text);
