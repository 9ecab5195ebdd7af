namespace Backend.Data;

/// <summary>The operations every driver implements.</summary>
public enum DbOperation
{
    /// <summary>One row by primary key.</summary>
    Get,
    /// <summary>Insert; conflict when the key exists.</summary>
    Add,
    /// <summary>Insert or replace the whole row.</summary>
    Put,
    /// <summary>Update an existing row; 0 affected when missing.</summary>
    Update,
    /// <summary>Add to counter columns, creating the row when missing.</summary>
    Incr,
    /// <summary>Delete by primary key.</summary>
    Del,
    /// <summary>Rows matching conditions, paged.</summary>
    Select,
}

/// <summary>One validated request for a driver: values are already converted to the column types and unknown columns dropped.</summary>
public sealed class DbRequest
{
    /// <summary>The operation.</summary>
    public required DbOperation Operation { get; init; }

    /// <summary>The table.</summary>
    public required TableSchema Table { get; init; }

    /// <summary>Column values for writes, key values for Get/Del.</summary>
    public DbRow Row { get; init; } = [];

    /// <summary>Conditions for Select.</summary>
    public IReadOnlyList<DbCondition> Conditions { get; init; } = [];

    /// <summary>Options.</summary>
    public DbOptions Options { get; init; } = new();
}
