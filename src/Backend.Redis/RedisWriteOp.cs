using Backend.Data;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>What one item of <see cref="RedisScripts.Write"/> does to its row: the <see cref="DbOperation"/> of a write
/// together with the options that change its meaning, decided once per request (<see cref="RedisWriteOps.Of"/>).</summary>
internal enum RedisWriteOp : byte
{
    /// <summary>Create the row; an existing key fails the whole script (409).</summary>
    Add,

    /// <summary>Write the row whole: an existing row is replaced.</summary>
    Put,

    /// <summary>Change the given columns of an existing row; a missing row is left missing (0 affected).</summary>
    Update,

    /// <summary>Change the given columns, creating the row when missing.</summary>
    Replace,

    /// <summary>Add to the given counters and set the other columns, creating the row when missing.</summary>
    Incr,

    /// <summary>An <see cref="Incr"/> of an existing row only (<see cref="DbOptions.NoUpsert"/>): a missing row is left missing.</summary>
    IncrExisting,

    /// <summary>Delete the row.</summary>
    Del,
}

/// <summary>The decisions that depend on a <see cref="RedisWriteOp"/>, and the one map from it to the script's text.</summary>
internal static class RedisWriteOps
{
    // The names the script compares (readable in the script and in MONITOR); one per value of the enum, in its order.
    // RedisValues made once: converting a string to a RedisValue does not copy it, but keeping them here makes the
    // table the only place the names are spelled on the C# side.
    private static readonly RedisValue[] Tokens = ["add", "put", "update", "replace", "incr", "incrx", "del"];

    /// <summary>The write a request asks for; a 400 for an operation that is not a single-row write.</summary>
    public static RedisWriteOp Of(DbRequest r) => r.Operation switch
    {
        DbOperation.Add => RedisWriteOp.Add,
        DbOperation.Put => RedisWriteOp.Put,
        DbOperation.Update => RedisWriteOp.Update,
        DbOperation.Replace => RedisWriteOp.Replace,
        DbOperation.Incr => r.Options.NoUpsert ? RedisWriteOp.IncrExisting : RedisWriteOp.Incr,
        DbOperation.Del => RedisWriteOp.Del,
        _ => throw new DbException(DbErrorKind.BadInput, $"cannot write with {r.Operation}"),
    };

    /// <summary>The op argument <see cref="RedisScripts.Write"/> reads for an item.</summary>
    public static RedisValue Token(RedisWriteOp op) => Tokens[(int)op];

    /// <summary>True when the item writes column values (everything but a delete).</summary>
    public static bool WritesColumns(RedisWriteOp op) => op != RedisWriteOp.Del;

    /// <summary>True when the given columns change and the others stay: the NULLs of the row are deleted fields
    /// (a Put or Add writes the row whole, so it has nothing to delete).</summary>
    public static bool IsPartial(RedisWriteOp op) => op is RedisWriteOp.Update or RedisWriteOp.Replace or RedisWriteOp.Incr or RedisWriteOp.IncrExisting;

    /// <summary>True when counter columns are added to rather than set.</summary>
    public static bool AddsToCounters(RedisWriteOp op) => op is RedisWriteOp.Incr or RedisWriteOp.IncrExisting;
}
