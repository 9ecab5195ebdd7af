using System.Globalization;
using Backend.Data;

namespace Backend.Api.Messages;

/// <summary>Stored message rows as replies: every column but the internal key, <c>mtime</c> as a number, and
/// <c>icon</c> as the link that returns the image (<c>/message/image?sender=S&amp;mtime=M</c>, plus
/// <c>&amp;recipient=R</c> for the sent box) instead of where the file is kept. Sent rows carry <c>sender</c> (the
/// caller) as well as <c>recipient</c>, so their link is right (the original built <c>sender=undefined</c>).</summary>
internal static class MessageRows
{
    /// <summary>A row of <paramref name="table"/> as its owner sees it.</summary>
    public static DbRow Reply(string table, DbRow stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var row = new DbRow();
        foreach (var (k, v) in stored)
            if (k is not ("mkey" or "icon") && v is not null) row[k] = v;
        var mtime = stored.GetLong("mtime") ?? 0;
        row["mtime"] = mtime;
        string? sender;
        string? recipient = null;
        if (table == MessageTables.Sent)
        {
            sender = stored.GetString("id");
            recipient = stored.GetString("recipient");
            if (sender is not null) row["sender"] = sender;
        }
        else
        {
            // A row written through the data API may lack the sender column: the key (MTIME:SENDER) still names it.
            sender = stored.GetString("sender") ?? (stored.GetString("mkey") is { } key && key.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? key[(colon + 1)..] : null);
        }
        // Without a sender there is no link that could return the image: the row is answered without one.
        if (stored.GetString("icon") is { Length: > 0 } && sender is { Length: > 0 }) row["icon"] = ImageLink(sender, mtime, recipient);
        return row;
    }

    /// <summary>The <c>/message/image</c> link of a message.</summary>
    public static string ImageLink(string sender, long mtime, string? recipient = null) =>
        "/message/image?sender=" + Uri.EscapeDataString(sender) + "&mtime=" + mtime.ToString(CultureInfo.InvariantCulture)
        + (recipient is null ? "" : "&recipient=" + Uri.EscapeDataString(recipient));
}
