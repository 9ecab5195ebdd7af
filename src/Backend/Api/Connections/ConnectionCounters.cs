using Backend.Data;

namespace Backend.Api.Connections;

/// <summary>The <c>bk_counter</c> side of connections: a new connection of type T adds 1 to the actor's <c>T0</c>
/// and the target's <c>T1</c> when those columns exist and are autoincr counters; a deleted one takes it back.
/// Only through <c>Db.IncrAsync</c>, which is atomic on every driver and creates a missing counters row.</summary>
internal static class ConnectionCounters
{
    /// <summary>The counter columns a connection type bumps: (actor column, target column), each null when the
    /// table does not have it as an autoincr counter.</summary>
    public static (string? Mine, string? Theirs) Columns(Db db, string type)
    {
        if (db.Tables.Get(ConnectionTables.Counter) is not { } table) return (null, null);
        string? Col(string name) => table.Column(name) is { Autoincr: true, Type: ColumnType.Counter } ? name : null;
        return (Col(type + "0"), Col(type + "1"));
    }

    /// <summary>Adds <paramref name="delta"/> to the actor's and the target's counters of the type. Returns what was
    /// changed, so a failed request can undo exactly that.</summary>
    public static async Task<List<(string Id, string Column)>> Add(Db db, string me, string other, string type, long delta, CancellationToken cancellationToken)
    {
        var (mine, theirs) = Columns(db, type);
        var done = new List<(string, string)>();
        foreach (var (id, column) in new[] { (me, mine), (other, theirs) })
        {
            if (column is null) continue;
            if (delta < 0 && !await IsPositive(db, id, column, cancellationToken)) continue;
            await db.IncrAsync(ConnectionTables.Counter, new DbRow { ["id"] = id, [column] = delta }, cancellationToken);
            done.Add((id, column));
        }
        return done;
    }

    /// <summary>Undoes <see cref="Add"/> after a later step failed (best effort: the request fails anyway).</summary>
    public static async Task Undo(Db db, IEnumerable<(string Id, string Column)> done, long delta)
    {
        foreach (var (id, column) in done)
        {
            try
            {
                await db.IncrAsync(ConnectionTables.Counter, new DbRow { ["id"] = id, [column] = -delta }, CancellationToken.None);
            }
            catch (DbException)
            {
                // The original error is the one to report.
            }
        }
    }

    // A connection made with _nocounter and deleted without it must not push a counter below zero.
    private static async Task<bool> IsPositive(Db db, string id, string column, CancellationToken cancellationToken)
    {
        var row = await db.GetAsync(ConnectionTables.Counter, new DbRow { ["id"] = id }, new DbOptions { Select = [column] }, cancellationToken);
        return row?.GetLong(column) is > 0;
    }
}
