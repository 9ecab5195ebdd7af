using System.Globalization;
using Backend.Data;

namespace Backend.Api.Messages;

/// <summary>The messages tables: <c>bk_message</c> (the inbox), <c>bk_archive</c> (read messages kept) and
/// <c>bk_sent</c> (what an account sent).
/// <para>Key layout. DynamoDB allows a hash and a range key only, and two messages from one sender in the same
/// millisecond must both survive. Every box is keyed by its owner (<c>id</c>) and <c>mkey</c>, the text
/// <c>MTIME:OTHER</c> with the time zero-padded to 15 digits (so text order is time order on every driver) and OTHER
/// the sender (inbox, archive) or the recipient (sent box). A message is thus identified by (sender, recipient, mtime)
/// in every box, which is what <c>/message/archive</c>, <c>/message/del*</c> and the image link name. When that triple is
/// taken (the same sender, recipient and millisecond), the writer moves the message one millisecond later and tries
/// again (<see cref="MessageStore"/>). <c>mtime</c> and <c>sender</c>/<c>recipient</c> are kept as columns too, so
/// replies carry <c>mtime</c> as a number and filters work on them.</para>
/// <para><c>icon</c> (the image's name in the file store) is an admin column: only the messages API and admins write it,
/// since <c>/message/image</c> serves whatever file a box row names (under <c>-api-unsecure data</c> an account could
/// otherwise point its own row at another's image).</para></summary>
internal static class MessageTables
{
    /// <summary>New messages (the inbox), keyed by recipient.</summary>
    public const string Inbox = "bk_message";

    /// <summary>Archived messages, keyed by recipient.</summary>
    public const string Archive = "bk_archive";

    /// <summary>Sent messages, keyed by sender.</summary>
    public const string Sent = "bk_sent";

    /// <summary>Longest message text (characters); longer is a 413.</summary>
    public const int MaxMessageLength = 8 * 1024;

    /// <summary>Digits of the time in <c>mkey</c>: milliseconds up to the year 33658.</summary>
    private const int TimeDigits = 15;

    /// <summary>Largest time that fits <see cref="TimeDigits"/>.</summary>
    public const long MaxTime = 999_999_999_999_999;

    /// <summary>Describes the three tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        foreach (var name in new[] { Inbox, Archive })
        {
            tables.Add(name, t => t
                .Column("id", primary: true, maxLength: 128)
                .Column("mkey", primary: true, maxLength: 160)
                .Column("sender", maxLength: 128)
                .Column("mtime", ColumnType.BigInt)
                .Column("msg", maxLength: MaxMessageLength)
                .Column("icon", admin: true, maxLength: 512));
        }
        tables.Add(Sent, t => t
            .Column("id", primary: true, maxLength: 128)
            .Column("mkey", primary: true, maxLength: 160)
            .Column("recipient", maxLength: 128)
            .Column("mtime", ColumnType.BigInt)
            .Column("msg", maxLength: MaxMessageLength)
            .Column("icon", admin: true, maxLength: 512));
    }

    /// <summary>The <c>mkey</c> of a message at <paramref name="mtime"/> from or to <paramref name="other"/>.</summary>
    public static string Key(long mtime, string other) =>
        mtime.ToString("D" + TimeDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + ":" + other;

    /// <summary>The smallest <c>mkey</c> of the millisecond <paramref name="mtime"/> (any other account sorts after it).</summary>
    public static string KeyFloor(long mtime) => Key(mtime, "");

    /// <summary>The column naming the other account in a box: <c>sender</c> in the inbox and archive, <c>recipient</c> in the sent box.</summary>
    public static string OtherColumn(string table) => table == Sent ? "recipient" : "sender";
}
