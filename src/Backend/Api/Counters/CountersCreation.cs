using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Counters;

/// <summary>On account creation: the account's counters row with every counter 0, as the original wrote it (so the
/// row exists for the data API and for reads that do not go through <c>/counter/get</c>).</summary>
internal sealed class CountersCreation(Db db) : IAccountCreationHandler
{
    public Task AccountAddedAsync(string accountId, DbRow account, CancellationToken cancellationToken)
    {
        var row = new DbRow { ["id"] = accountId };
        foreach (var c in db.Table(CounterTables.Counter).Columns.Where(c => c.Type == ColumnType.Counter && c.Primary == 0)) row[c.Name] = 0L;
        return db.PutAsync(CounterTables.Counter, row, cancellationToken);
    }
}
