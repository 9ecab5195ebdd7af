using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Connections;

/// <summary>On account deletion: removes the account's connections (with their references and the counters they
/// added to others) and every connection others made to it (so nobody keeps a link to an account that is gone, and
/// their <c>TYPE0</c> counters drop back).</summary>
internal sealed class ConnectionsDeletion(Db db) : IAccountDeletionHandler
{
    public async Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken)
    {
        var raw = new DbOptions { NoProcessRows = true, Count = 500, Select = ["id", "type"] };
        var mine = new List<DbRow>();
        await foreach (var row in db.ScanAsync(ConnectionTables.Connection, new DbRow { ["id"] = accountId }, raw, cancellationToken)) mine.Add(row);
        foreach (var row in mine) await ConnectionWriter.Delete(db, row, counters: true, cancellationToken);

        var theirs = new List<DbRow>();
        await foreach (var row in db.ScanAsync(ConnectionTables.Reference, new DbRow { ["id"] = accountId }, raw, cancellationToken)) theirs.Add(row);
        foreach (var reference in theirs)
        {
            if (!ConnectionKey.TrySplit(reference.GetString("type"), out var type, out var other)) continue;
            // Their connection row, as they stored it: deleting it also drops this reference and reverses counters.
            var connection = new DbRow { ["id"] = other, ["type"] = ConnectionKey.Combine(type, accountId) };
            if (!await ConnectionWriter.Delete(db, connection, counters: true, cancellationToken))
                await db.DelAsync(ConnectionTables.Reference, reference, cancellationToken);
        }
    }
}
