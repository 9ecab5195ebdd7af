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
    /// <summary>Add when missing, else update the given columns (the rest of the row is kept).</summary>
    Replace,
    /// <summary>Update every row matching conditions.</summary>
    UpdateAll,
    /// <summary>Delete every row matching conditions.</summary>
    DelAll,
    /// <summary>Many rows by primary key at once.</summary>
    List,
    /// <summary>Rows matching a driver-native condition (an SQL WHERE clause, a DynamoDB filter expression, ...), paged.</summary>
    Search,
    /// <summary>A raw driver-native request (SQL statement, ...); rows typed by the table's columns.</summary>
    Query,
    /// <summary>Many writes in one call, atomically where the database can.</summary>
    Batch,
}

/// <summary>One validated request for a driver: values are already converted to the column types and unknown columns dropped.</summary>
public sealed class DbRequest
{
    /// <summary>The operation.</summary>
    public required DbOperation Operation { get; init; }

    /// <summary>The table.</summary>
    public required TableSchema Table { get; init; }

    /// <summary>Column values for writes, key values for Get/Del.</summary>
    public DbRow Row { get => _row ??= []; init => _row = value; }

    // Lazy, not an initialiser: an initialiser would allocate a throw-away row (and options, below) for every request,
    // even though the facade always sets them (measurable on the in-process SQLite Get path).
    private DbRow? _row;

    /// <summary>Conditions for Select, UpdateAll and DelAll.</summary>
    public IReadOnlyList<DbCondition> Conditions { get; init; } = [];

    /// <summary>Primary keys for List.</summary>
    public IReadOnlyList<DbRow> Keys { get; init; } = [];

    /// <summary>The native text and parameters for Search and Query.</summary>
    public DbNativeQuery? Native { get; init; }

    /// <summary>The prepared writes of a Batch (Add, Put, Update, Incr, Replace, Del).</summary>
    public IReadOnlyList<DbRequest> Batch { get; init; } = [];

    /// <summary>Options.</summary>
    public DbOptions Options { get => _options ?? DbOptions.None; init => _options = value; }

    private DbOptions? _options;
}
