namespace Backend.Data;

/// <summary>Marks a record property as part of the primary key; <see cref="Order"/> orders composite keys.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PrimaryAttribute(int order = 1) : Attribute
{
    /// <summary>Position in the key, 1-based.</summary>
    public int Order { get; } = order;
}

/// <summary>Marks a record property as public: visible to other accounts.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PubAttribute : Attribute;

/// <summary>Marks a record property as indexed; properties sharing a number form one index.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class IndexAttribute(int number = 1) : Attribute
{
    /// <summary>Index number.</summary>
    public int Number { get; } = number;
}

/// <summary>Further column properties for a record property.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DbColumnAttribute : Attribute
{
    /// <summary>Column name when it differs from the property name.</summary>
    public string? Name { get; init; }
    /// <summary>Only admins may set it.</summary>
    public bool Admin { get; init; }
    /// <summary>Set on add, never updated.</summary>
    public bool Readonly { get; init; }
    /// <summary>Never returned by the API.</summary>
    public bool Hidden { get; init; }
    /// <summary>Set to the current time (ms) on every write.</summary>
    public bool Now { get; init; }
    /// <summary>Auto-increment counter.</summary>
    public bool Autoincr { get; init; }
    private ColumnType? _type;

    /// <summary>Explicit logical type (otherwise inferred from the property type). Not nullable because attribute
    /// arguments cannot be; whether it was set is tracked separately.</summary>
    public ColumnType Type
    {
        get => _type ?? ColumnType.Text;
        set => _type = value;
    }

    internal ColumnType? ExplicitType => _type;
}
