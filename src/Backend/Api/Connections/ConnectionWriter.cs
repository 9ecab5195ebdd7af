using Backend.Api.Accounts;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Connections;

/// <summary>What a connection write may do besides writing <c>bk_connection</c>.</summary>
/// <param name="Replace">put: replace an existing connection instead of answering 409.</param>
/// <param name="Reference">write the reverse <c>bk_reference</c> row.</param>
/// <param name="Counters">bump the <c>TYPE0</c>/<c>TYPE1</c> counters of a new connection.</param>
/// <param name="Publish">tell the target about a new connection.</param>
internal sealed record ConnectionWrite(bool Replace, bool Reference, bool Counters, bool Publish);

/// <summary>Creates and deletes connections with everything that goes with them: the reverse reference, the
/// counters and the event to the target. A connection is "new" only when the insert succeeded, so concurrent or
/// repeated puts count it once; a delete reverses the counters only when it removed the row.</summary>
internal static class ConnectionWriter
{
    /// <summary>Adds (or with <see cref="ConnectionWrite.Replace"/> replaces) my connection to
    /// <paramref name="other"/> with the other column values of the request. Everything
    /// is validated before the first write; a failure after it undoes what was written. Returns true when the
    /// connection is new.</summary>
    public static async Task<bool> Save(Db db, AccountEvents events, ApiRequest api, string me, string other, string type, ConnectionWrite how, CancellationToken cancellationToken)
    {
        if (other == me) throw ApiException.BadRequest("cannot connect to oneself");
        var key = ConnectionKey.Combine(type, other);
        var row = WritableColumns.From(db.Table(ConnectionTables.Connection), api.Params, api.IsAdmin, forAdd: true);
        row["id"] = me;
        row["type"] = key;
        var reverse = WritableColumns.From(db.Table(ConnectionTables.Reference), api.Params, api.IsAdmin, forAdd: true);
        reverse["id"] = other;
        reverse["type"] = ConnectionKey.Combine(type, me);
        // Bad values (a wrong type, an oversize text) are 400 here, before anything is written.
        db.Prepare(DbOperation.Put, ConnectionTables.Connection, row, null);
        db.Prepare(DbOperation.Put, ConnectionTables.Reference, reverse, null);
        if (await db.GetAsync(ConnectionTables.Account, new DbRow { ["id"] = other }, new DbOptions { Select = ["id"] }, cancellationToken) is null)
            throw ApiException.NotFound("No account record found");

        bool created;
        try
        {
            await db.AddAsync(ConnectionTables.Connection, row, cancellationToken);
            created = true;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Conflict)
        {
            if (!how.Replace) throw new ApiException(409, "the connection already exists");
            await db.PutAsync(ConnectionTables.Connection, row, cancellationToken);
            created = false;
        }

        // From here on the connection exists: finish even if the client goes away.
        var counted = new List<(string, string)>();
        try
        {
            if (how.Reference) await db.PutAsync(ConnectionTables.Reference, reverse, CancellationToken.None);
            if (created && how.Counters) counted = await ConnectionCounters.Add(db, me, other, type, 1, CancellationToken.None);
        }
        catch (DbException) when (created)
        {
            await ConnectionCounters.Undo(db, counted, 1);
            await db.DelAsync(ConnectionTables.Reference, reverse, CancellationToken.None);
            await db.DelAsync(ConnectionTables.Connection, row, CancellationToken.None);
            throw;
        }
        if (created && how.Publish) await events.Publish(other, "/connection/add", type, actor: me, cancellationToken: CancellationToken.None);
        return created;
    }

    /// <summary>Deletes one of my connections given as a raw (unprocessed) row, with its reference and, unless
    /// <paramref name="counters"/> is false, the counters it added. Returns false when it was already gone.</summary>
    public static async Task<bool> Delete(Db db, DbRow raw, bool counters, CancellationToken cancellationToken)
    {
        var me = raw.GetString("id")!;
        if (!ConnectionKey.TrySplit(raw.GetString("type"), out var type, out var other)) return false;
        var result = await db.DelAsync(ConnectionTables.Connection, new DbRow { ["id"] = me, ["type"] = raw.GetString("type") }, cancellationToken);
        // Only the request that removed the row reverses it: two concurrent deletes take the counters back once.
        if (result.Affected == 0) return false;
        await db.DelAsync(ConnectionTables.Reference, new DbRow { ["id"] = other, ["type"] = ConnectionKey.Combine(type, me) }, CancellationToken.None);
        if (counters) await ConnectionCounters.Add(db, me, other, type, -1, CancellationToken.None);
        return true;
    }
}
