using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Counters;

/// <summary>On account deletion: removes the account's counters row.</summary>
internal sealed class CountersDeletion(Db db) : IAccountDeletionHandler
{
    public Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken) =>
        db.DelAsync(CounterTables.Counter, new DbRow { ["id"] = accountId }, cancellationToken);
}
