namespace Backend.Data;

/// <summary>What makes <see cref="DbCache"/> coherent across processes and nodes: a shared second level (a cache
/// server every process reads) and a broadcast that drops a written row from every process's first level. Either part
/// may be missing: <see cref="Shared"/> is false without a shared cache (<c>-cache-type local</c>), and without a
/// pub/sub that reaches other processes (<c>-msg-type local</c>) the broadcast reaches only this one. Implemented above
/// the data layer (<c>Backend.Cache.DbCacheCluster</c>), so <c>Data</c> needs neither the cache nor the pub/sub API.</summary>
internal interface IDbCacheCluster
{
    /// <summary>True when there is a shared second level.</summary>
    bool Shared { get; }

    /// <summary>The shared level's state of a row: its current version (the table's and the row's, bumped by every
    /// write through any process) and the value stored for that version, if any. Null when the shared cache cannot be
    /// reached (the caller reads the database; the failure is counted and logged once per outage).</summary>
    ValueTask<DbSharedRead?> ReadAsync(string table, string key, CancellationToken cancellationToken);

    /// <summary>Stores a row's text for the version it was read at, in the background: a failure is counted, never
    /// thrown.</summary>
    void Store(string key, DbVersion version, string text);

    /// <summary>After a write through this process: bumps the version of the row (<paramref name="key"/>) or of the
    /// whole table (null key) in the shared level, so no process takes a value stored before the write, and tells every
    /// other process to drop the row from its first level. Never throws: a cache or broker that is down is counted
    /// and logged once per outage (other processes then see the write when their first-level copy expires).</summary>
    ValueTask InvalidateAsync(string table, string? key);
}

/// <summary>The version of a row in the shared level: the table's generation (bumped by writes of many rows) and the
/// row's own counter. Values are only taken at the version they were stored for.</summary>
internal readonly record struct DbVersion(long Table, long Row) : IComparable<DbVersion>
{
    /// <inheritdoc />
    public int CompareTo(DbVersion other) => Table != other.Table ? Table.CompareTo(other.Table) : Row.CompareTo(other.Row);
}

/// <summary>What the shared level holds for a row: its current version, and the text stored for exactly that version
/// (null when none is).</summary>
internal readonly record struct DbSharedRead(DbVersion Version, string? Text);
