namespace Backend.Data;

/// <summary>Fluent description of a table, the C# form of the reference's <c>{ id: { primary: 1 }, name: { pub: 1 } }</c>.</summary>
public sealed class TableBuilder
{
    private readonly List<ColumnSchema> _columns = [];
    private int _nextPrimary = 1;

    internal TableBuilder(string name) => Name = name;

    /// <summary>Table name.</summary>
    public string Name { get; }

    internal IReadOnlyList<ColumnSchema> Columns => _columns;

    /// <summary>Adds a column. <paramref name="primary"/> columns form the key in the order they are added;
    /// <paramref name="index"/> is an index number (columns sharing one form a composite index).</summary>
    public TableBuilder Column(
        string name,
        ColumnType type = ColumnType.Text,
        bool primary = false,
        int index = 0,
        bool pub = false,
        bool admin = false,
        bool @readonly = false,
        bool hidden = false,
        object? value = null,
        bool now = false,
        bool autoincr = false,
        bool location = false,
        int maxLength = 0)
    {
        _columns.Add(new ColumnSchema
        {
            Name = name,
            Type = type,
            Primary = primary ? _nextPrimary++ : 0,
            Index = index,
            Pub = pub,
            Admin = admin,
            Readonly = @readonly,
            Hidden = hidden,
            Value = value,
            Now = now,
            Autoincr = autoincr,
            Location = location,
            MaxLength = maxLength,
        });
        return this;
    }

    /// <summary>Adds a fully specified column.</summary>
    public TableBuilder Column(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        _columns.Add(column);
        return this;
    }
}
