using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Backend.Data;

/// <summary>All described tables. Describing a table twice merges the columns, so apps can extend built-in tables.</summary>
public sealed class TableRegistry
{
    private readonly ConcurrentDictionary<string, TableSchema> _tables = new(StringComparer.Ordinal);

    /// <summary>Describes (or extends) a table.</summary>
    public TableRegistry Add(string name, Action<TableBuilder> describe)
    {
        ArgumentNullException.ThrowIfNull(describe);
        var builder = new TableBuilder(name);
        describe(builder);
        Add(name, builder.Columns);
        return this;
    }

    /// <summary>Describes a table from a record type: properties become columns, <see cref="PrimaryAttribute"/>,
    /// <see cref="PubAttribute"/>, <see cref="IndexAttribute"/> and <see cref="DbColumnAttribute"/> set their properties.
    /// The table name defaults to the type name in snake_case.</summary>
    public TableRegistry Add<T>(string? name = null)
    {
        var columns = new List<ColumnSchema>();
        foreach (var p in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var extra = p.GetCustomAttribute<DbColumnAttribute>();
            columns.Add(new ColumnSchema
            {
                Name = extra?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name),
                Type = extra?.ExplicitType ?? InferType(p.PropertyType),
                Primary = p.GetCustomAttribute<PrimaryAttribute>()?.Order ?? 0,
                Index = p.GetCustomAttribute<IndexAttribute>()?.Number ?? 0,
                Pub = p.GetCustomAttribute<PubAttribute>() is not null,
                Admin = extra?.Admin ?? false,
                Readonly = extra?.Readonly ?? false,
                Hidden = extra?.Hidden ?? false,
                Now = extra?.Now ?? false,
                Autoincr = extra?.Autoincr ?? false,
            });
        }
        return Add(name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(typeof(T).Name), columns);
    }

    private TableRegistry Add(string name, IReadOnlyList<ColumnSchema> columns)
    {
        _tables.AddOrUpdate(name, _ => new TableSchema(name, columns), (_, existing) => existing.Merge(columns));
        return this;
    }

    /// <summary>Finds a described table.</summary>
    public TableSchema? Get(string name) => _tables.GetValueOrDefault(name);

    /// <summary>All described tables.</summary>
    public IReadOnlyCollection<TableSchema> All => [.. _tables.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    internal static ColumnType InferType(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool)) return ColumnType.Bool;
        if (type == typeof(int) || type == typeof(short) || type == typeof(byte)) return ColumnType.Int;
        if (type == typeof(long)) return ColumnType.BigInt;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return ColumnType.Real;
        if (type == typeof(string)) return ColumnType.Text;
        return ColumnType.Json;
    }
}
