using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Messages;

/// <summary>On account deletion: empties the account's inbox, archive and sent box, with the images no other box
/// refers to. Messages it sent stay in their recipients' boxes: they belong to the recipients now.</summary>
internal sealed class MessagesDeletion(MessageStore store) : IAccountDeletionHandler
{
    public async Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { MessageTables.Inbox, MessageTables.Archive, MessageTables.Sent })
        {
            foreach (var row in await store.AllAsync(table, accountId, new DbRow(), cancellationToken))
                await store.DeleteAsync(table, row);
        }
    }
}
