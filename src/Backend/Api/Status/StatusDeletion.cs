using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Status;

/// <summary>On account deletion: removes the account's status (it is offline from then on).</summary>
internal sealed class StatusDeletion(Db db) : IAccountDeletionHandler
{
    public Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken) =>
        db.DelAsync(StatusTables.Status, new DbRow { ["id"] = accountId }, cancellationToken);
}
