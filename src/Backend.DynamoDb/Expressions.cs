using System.Text;
using Amazon.DynamoDBv2.Model;
using Backend.Data;

namespace Backend.DynamoDb;

/// <summary>Collects the placeholders of one request's expressions: every attribute name becomes <c>#nK</c>
/// (so reserved words such as <c>name</c> never matter) and every value <c>:vK</c>. DynamoDB rejects unused and
/// empty placeholder maps, so only what an expression uses is added and empty maps are sent as null.</summary>
internal sealed class Expressions
{
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byAttribute = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AttributeValue> _values = new(StringComparer.Ordinal);

    /// <summary>The placeholder of an attribute name.</summary>
    public string Name(string attribute)
    {
        if (_byAttribute.TryGetValue(attribute, out var p)) return p;
        p = "#_n" + _byAttribute.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _byAttribute[attribute] = p;
        _names[p] = attribute;
        return p;
    }

    /// <summary>Adds a placeholder chosen by the caller (native Search text).</summary>
    public void Name(string placeholder, string attribute) => _names[placeholder] = attribute;

    /// <summary>The placeholder of a value.</summary>
    public string Value(AttributeValue value)
    {
        var p = ":_v" + _values.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _values[p] = value;
        return p;
    }

    /// <summary>Adds a value placeholder chosen by the caller (native Search parameters).</summary>
    public void Value(string placeholder, AttributeValue value) => _values[placeholder] = value;

    public Dictionary<string, string>? Names => _names.Count > 0 ? _names : null;

    public Dictionary<string, AttributeValue>? Values => _values.Count > 0 ? _values : null;

    /// <summary>A projection of the given columns, or null for whole items.</summary>
    public string? Projection(IEnumerable<string>? columns) =>
        columns is null ? null : string.Join(", ", columns.Distinct(StringComparer.Ordinal).Select(Name)) is { Length: > 0 } p ? p : null;
}

/// <summary>Turns <see cref="DbCondition"/>s into DynamoDB key conditions and filter expressions with SQL's meaning
/// (NULL is an absent attribute; <c>&lt;&gt;</c> and the comparisons never match NULL), and evaluates in memory the
/// ones DynamoDB cannot express in a given place (a filter on the key of the queried index, begins_with on a number,
/// an ordering comparison of bools).</summary>
internal static class Conditions
{
    /// <summary>True when no row can match: IN without values, BETWEEN with a NULL bound or bounds the wrong way round.</summary>
    public static bool MatchesNothing(DbCondition c) => c.Op switch
    {
        DbCompare.In => Items(c).All(v => v is null),
        DbCompare.Between => Items(c) is var r && (r.Count != 2 || r[0] is null || r[1] is null || ValueOrder.Compare(r[0], r[1]) > 0),
        _ => false,
    };

    /// <summary>True when the condition is false for a row without the column (so a sparse index still finds every match).</summary>
    public static bool ExcludesNull(DbCondition c) => c.Op switch
    {
        DbCompare.Ne => true,
        DbCompare.Eq or DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le => c.Value is not null,
        _ => true,
    };

    /// <summary>A value a key condition can hold: not NULL, and not an empty string (DynamoDB keys cannot be empty).</summary>
    public static bool IsKeyValue(object? value) => value is not null and not "";

    public static IReadOnlyList<object?> Items(DbCondition c) => c.Value as IReadOnlyList<object?> ?? [c.Value];

    /// <summary>A key condition on a range key, or null when the operator cannot be one.</summary>
    public static string? RangeKey(DynamoDbTable t, DbCondition c, Expressions e)
    {
        var type = t.AttributeType(c.Column);
        switch (c.Op)
        {
            case DbCompare.Eq or DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le when IsKeyValue(c.Value):
                return $"{e.Name(c.Column)} {Operator(c.Op)} {e.Value(t.Encode(c.Column, c.Value)!)}";
            case DbCompare.Between when !MatchesNothing(c) && Items(c).All(IsKeyValue):
                var r = Items(c);
                return $"{e.Name(c.Column)} BETWEEN {e.Value(t.Encode(c.Column, r[0])!)} AND {e.Value(t.Encode(c.Column, r[1])!)}";
            case DbCompare.BeginsWith when type == Amazon.DynamoDBv2.ScalarAttributeType.S && c.Value is string { Length: > 0 } s:
                return $"begins_with({e.Name(c.Column)}, {e.Value(new AttributeValue { S = s })})";
            default:
                return null;
        }
    }

    /// <summary>A filter expression for the condition, or null when it has to be evaluated in memory.</summary>
    public static string? Filter(DynamoDbTable t, DbCondition c, Expressions e)
    {
        var column = t.Column(c.Column);
        var text = column.Type is ColumnType.Text or ColumnType.Json;
        var ordered = column.Type != ColumnType.Bool || t.KeyAttributes.Contains(c.Column);
        string N() => e.Name(c.Column);
        string V(object? v) => e.Value(t.Encode(c.Column, v)!);
        switch (c.Op)
        {
            case DbCompare.Eq or DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le when c.Value is null:
                return $"attribute_not_exists({N()})";
            case DbCompare.Ne when c.Value is null:
                return $"attribute_exists({N()})";
            case DbCompare.Eq:
                return $"{N()} = {V(c.Value)}";
            case DbCompare.Ne:
                // DynamoDB's <> is true for a missing attribute; SQL's never matches NULL.
                return $"(attribute_exists({N()}) AND {N()} <> {V(c.Value)})";
            case DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le when ordered:
                return $"{N()} {Operator(c.Op)} {V(c.Value)}";
            case DbCompare.Between when ordered:
                var r = Items(c);
                return $"{N()} BETWEEN {V(r[0])} AND {V(r[1])}";
            case DbCompare.In when ordered && Items(c).Count <= 100:
                // DynamoDB takes at most 100 operands per IN (and 4 KB per expression): longer lists are checked in memory.
                return $"{N()} IN ({string.Join(", ", Items(c).Where(v => v is not null).Distinct().Select(V))})";
            case DbCompare.BeginsWith when text:
                return c.Value is string { Length: > 0 } b ? $"begins_with({N()}, {e.Value(new AttributeValue { S = b })})" : $"attribute_exists({N()})";
            case DbCompare.Contains when text:
                return c.Value is string { Length: > 0 } s ? $"contains({N()}, {e.Value(new AttributeValue { S = s })})" : $"attribute_exists({N()})";
            default:
                return null;
        }
    }

    private static string Operator(DbCompare op) => op switch
    {
        DbCompare.Gt => ">",
        DbCompare.Ge => ">=",
        DbCompare.Lt => "<",
        DbCompare.Le => "<=",
        DbCompare.Ne => "<>",
        _ => "=",
    };

    /// <summary>Evaluates a condition on a decoded row with the same meaning as the SQL drivers.</summary>
    public static bool Matches(DbRow row, DbCondition c, ColumnSchema column)
    {
        var v = row.GetValueOrDefault(c.Column);
        switch (c.Op)
        {
            case DbCompare.Eq or DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le when c.Value is null:
                return v is null;
            case DbCompare.Ne when c.Value is null:
                return v is not null;
        }
        if (v is null) return false;
        switch (c.Op)
        {
            case DbCompare.Eq:
                return ValueOrder.Compare(v, c.Value) == 0;
            case DbCompare.Ne:
                return ValueOrder.Compare(v, c.Value) != 0;
            case DbCompare.Gt:
                return ValueOrder.Compare(v, c.Value) > 0;
            case DbCompare.Ge:
                return ValueOrder.Compare(v, c.Value) >= 0;
            case DbCompare.Lt:
                return ValueOrder.Compare(v, c.Value) < 0;
            case DbCompare.Le:
                return ValueOrder.Compare(v, c.Value) <= 0;
            case DbCompare.In:
                return Items(c).Any(x => x is not null && ValueOrder.Compare(v, x) == 0);
            case DbCompare.Between:
                var r = Items(c);
                return r.Count == 2 && ValueOrder.Compare(v, r[0]) >= 0 && ValueOrder.Compare(v, r[1]) <= 0;
            case DbCompare.BeginsWith:
                return StoredText(v, column).StartsWith(c.Value as string ?? "", StringComparison.Ordinal);
            case DbCompare.Contains:
                return StoredText(v, column).Contains(c.Value as string ?? "", StringComparison.Ordinal);
            default:
                return false;
        }
    }

    /// <summary>The text SQL drivers compare begins_with/contains against: bools as 1/0, JSON as its text.</summary>
    private static string StoredText(object v, ColumnSchema column) =>
        column.Type == ColumnType.Bool && v is bool b ? (b ? "1" : "0") : v is System.Text.Json.Nodes.JsonNode n ? n.ToJsonString() : DbValues.ToText(v) ?? "";

    /// <summary>Rewrites native Search text: <c>@name</c> parameters become value placeholders, <c>#word</c> becomes
    /// the attribute <c>word</c>.</summary>
    public static string Native(DbNativeQuery query, Expressions e)
    {
        var text = query.Text;
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch is '@' or '#' or ':' && i + 1 < text.Length && (char.IsLetter(text[i + 1]) || text[i + 1] == '_'))
            {
                var start = ++i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                var word = text[start..i--];
                if (ch == '#')
                {
                    e.Name("#" + word, word);
                    sb.Append('#').Append(word);
                }
                else
                {
                    if (query.Parameters is null || !query.Parameters.TryGetValue(word, out var value))
                        throw new DbException(DbErrorKind.BadInput, $"query parameter {ch}{word} has no value");
                    e.Value(":" + word, AttributeCodec.FromParameter(value));
                    sb.Append(':').Append(word);
                }
            }
            else
            {
                sb.Append(ch);
            }
        }
        return sb.ToString();
    }
}
