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
            // Read the whole box first: deleting while following paging tokens would skip rows on some drivers.
            var rows = new List<DbRow>();
            var options = new DbOptions { Count = ApiOptions.MaxCount, NoProcessRows = true };
            while (true)
            {
                var page = await store.SelectAsync(table, accountId, new DbRow(), options, cancellationToken);
                rows.AddRange(page.Rows);
                if (page.NextToken.Length == 0) break;
                options.Start = page.NextToken;
            }
            foreach (var row in rows) await store.DeleteAsync(table, row);
        }
    }
}
