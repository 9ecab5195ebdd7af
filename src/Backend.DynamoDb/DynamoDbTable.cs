using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Backend.Configuration;
using Backend.Data;

namespace Backend.DynamoDb;

/// <summary>A global secondary index made from a described index: its first column is the hash key, its second
/// (if any) the range key; further columns of a composite index do not take part.</summary>
internal sealed record GlobalIndex(string Name, string Hash, string? Range);

/// <summary>How a described table maps to DynamoDB: primary key columns to the hash (and range) key, indexes to
/// global secondary indexes, and which attributes are keys (their values must be S or N).</summary>
internal sealed class DynamoDbTable
{
    private DynamoDbTable(TableSchema schema)
    {
        Schema = schema;
        if (schema.PrimaryKeys.Count > 2)
        {
            throw new ConfigException($"dynamodb: table {schema.Name} has {schema.PrimaryKeys.Count} primary key columns ({string.Join(", ", schema.PrimaryKeys)}); " +
                "a DynamoDB key has at most two (hash and range): combine the others into one column or use another pool for this table");
        }
        Hash = schema.PrimaryKeys[0];
        Range = schema.PrimaryKeys.Count > 1 ? schema.PrimaryKeys[1] : null;
        var indexes = new List<GlobalIndex>();
        foreach (var columns in schema.Indexes)
        {
            // An index led by the hash key adds nothing: a hash key equality already queries the table itself.
            if (columns[0] == Hash) continue;
            var range = columns.Count > 1 ? columns[1] : null;
            var name = schema.IndexName(range is null ? [columns[0]] : [columns[0], range]);
            if (indexes.All(i => i.Name != name)) indexes.Add(new GlobalIndex(name, columns[0], range));
        }
        Indexes = indexes;
        KeyAttributes = new HashSet<string>(StringComparer.Ordinal) { Hash };
        if (Range is not null) KeyAttributes.Add(Range);
        foreach (var i in Indexes)
        {
            KeyAttributes.Add(i.Hash);
            if (i.Range is not null) KeyAttributes.Add(i.Range);
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TableSchema, DynamoDbTable> Cache = [];

    /// <summary>The mapping of a schema (computed once per schema instance); throws <see cref="ConfigException"/> for 3+ key columns.</summary>
    public static DynamoDbTable For(TableSchema schema) => Cache.GetValue(schema, s => new DynamoDbTable(s));

    public TableSchema Schema { get; }

    public string Name => Schema.Name;

    public string Hash { get; }

    public string? Range { get; }

    /// <summary>The global secondary indexes the description asks for.</summary>
    public IReadOnlyList<GlobalIndex> Indexes { get; }

    /// <summary>Key attributes of the table and of every index.</summary>
    public HashSet<string> KeyAttributes { get; }

    public ColumnSchema Column(string name) => Schema.Column(name) ?? throw new DbException(DbErrorKind.BadInput, $"{Name}: unknown column {name}");

    /// <summary>The attribute value of a column value (null: no attribute).</summary>
    public AttributeValue? Encode(string column, object? value) => AttributeCodec.Encode(Column(column), value, KeyAttributes.Contains(column));

    /// <summary>The DynamoDB key of a row (all primary key values must be present).</summary>
    public Dictionary<string, AttributeValue> Key(DbRow row)
    {
        var key = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var k in Schema.PrimaryKeys)
            key[k] = Encode(k, row.GetValueOrDefault(k)) ?? throw new DbException(DbErrorKind.BadInput, $"{Name}: missing primary key {k}");
        return key;
    }

    /// <summary>A row from an item: only the table's columns, converted to their types.</summary>
    public DbRow Decode(Dictionary<string, AttributeValue> item)
    {
        var row = new DbRow();
        foreach (var (name, value) in item)
        {
            if (Schema.Column(name) is not { } column) continue;
            var v = AttributeCodec.Decode(column, value);
            if (v is not null) row[name] = v;
        }
        return row;
    }

    /// <summary>The key attribute type of a column: N for numbers and bools, S for the rest.</summary>
    public ScalarAttributeType AttributeType(string column) =>
        Column(column).Type is ColumnType.Int or ColumnType.BigInt or ColumnType.Counter or ColumnType.Real or ColumnType.Bool
            ? ScalarAttributeType.N
            : ScalarAttributeType.S;

    /// <summary>The key schema of the table.</summary>
    public List<KeySchemaElement> KeySchema() => Keys(Hash, Range);

    /// <summary>A hash (+ range) key schema.</summary>
    public static List<KeySchemaElement> Keys(string hash, string? range)
    {
        var list = new List<KeySchemaElement> { new(hash, KeyType.HASH) };
        if (range is not null) list.Add(new KeySchemaElement(range, KeyType.RANGE));
        return list;
    }

    /// <summary>Attribute definitions for the table keys and the given indexes.</summary>
    public List<AttributeDefinition> Definitions(IEnumerable<GlobalIndex> indexes)
    {
        var names = new List<string> { Hash };
        if (Range is not null) names.Add(Range);
        foreach (var i in indexes)
        {
            names.Add(i.Hash);
            if (i.Range is not null) names.Add(i.Range);
        }
        return [.. names.Distinct(StringComparer.Ordinal).Select(n => new AttributeDefinition(n, AttributeType(n)))];
    }

    /// <summary>True when every row has the column: key columns, and <c>now</c> columns (the facade sets them on every write).</summary>
    public bool AlwaysPresent(string column) => Schema.Column(column) is { } c && (c.Primary > 0 || c.Now);
}
