using Backend.Data;
using Backend.Files;
using Backend.Http;

namespace Backend.Api.Messages;

/// <summary>The message boxes on the <see cref="Db"/> facade and their images in the <see cref="IFileStore"/>.
/// Rows are written and deleted one at a time (no driver-specific transaction is needed), in an order that never
/// leaves a row pointing at a missing image: the image is stored before any row and deleted only after the last
/// row referring to it is gone.</summary>
internal sealed class MessageStore(Db db, IFileStore files, TimeProvider time)
{
    /// <summary>How many later milliseconds a message may move to when its (sender, recipient, mtime) is taken.</summary>
    public const int MaxAttempts = 500;

    /// <summary>The folder of the file store holding message images (<c>message/XX/NAME.EXT</c>).</summary>
    public const string ImageFolder = "message";

    /// <summary>Stores a message from <paramref name="sender"/> to <paramref name="recipient"/>: the image (if any),
    /// the inbox row and, unless <paramref name="noSent"/>, the sent row, all with the same mtime. Returns the sent
    /// row (as stored, <c>id</c> being the sender). The writes ignore cancellation: a client that goes away must not
    /// leave half a message behind.</summary>
    public async Task<DbRow> AddAsync(string sender, string recipient, DbRow columns, MessageImage? image, bool noSent)
    {
        ArgumentException.ThrowIfNullOrEmpty(sender);
        ArgumentException.ThrowIfNullOrEmpty(recipient);
        ArgumentNullException.ThrowIfNull(columns);
        var ct = CancellationToken.None;
        string? icon = null;
        if (image is not null)
        {
            var name = Guid.NewGuid().ToString("N");
            icon = $"{ImageFolder}/{name[..2]}/{name}.{image.Extension}";
            await files.PutAsync(icon, image.Bytes, ct);
        }
        var mtime = time.GetUtcNow().ToUnixTimeMilliseconds();
        DbRow? sent = null, inbox = null;
        bool sentWritten = false, inboxWritten = false;
        try
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++, mtime++)
            {
                sent = new DbRow(columns)
                {
                    ["id"] = sender,
                    ["mkey"] = MessageTables.Key(mtime, recipient),
                    ["recipient"] = recipient,
                    ["mtime"] = mtime,
                    ["icon"] = icon,
                };
                inbox = new DbRow(columns)
                {
                    ["id"] = recipient,
                    ["mkey"] = MessageTables.Key(mtime, sender),
                    ["sender"] = sender,
                    ["mtime"] = mtime,
                    ["icon"] = icon,
                };
                // The sender's own box first: messages sent at once collide there, before the recipient could see
                // a row that then moves to another millisecond.
                if (!noSent)
                {
                    if (!await TryAdd(MessageTables.Sent, sent)) continue;
                    sentWritten = true;
                }
                if (await TryAdd(MessageTables.Inbox, inbox))
                {
                    inboxWritten = true;
                    // An archived message may hold this (sender, mtime), which must stay unique for the recipient.
                    // Checked after the insert: an archive move writes the archive row before it deletes the inbox
                    // row, so a move that freed this inbox key has always written its archive row by now.
                    if (await db.GetAsync(MessageTables.Archive, Keys(inbox), ct) is null) return sent;
                    await db.DelAsync(MessageTables.Inbox, Keys(inbox), ct);
                    inboxWritten = false;
                }
                if (sentWritten) await db.DelAsync(MessageTables.Sent, Keys(sent), ct);
                sentWritten = false;
            }
        }
        catch
        {
            if (inboxWritten) await db.DelAsync(MessageTables.Inbox, Keys(inbox!), ct);
            if (sentWritten) await db.DelAsync(MessageTables.Sent, Keys(sent!), ct);
            if (icon is not null) await files.DeleteAsync(icon, ct);
            throw;
        }
        if (icon is not null) await files.DeleteAsync(icon, ct);
        throw new ApiException(409, "Too many messages at the same time, try again");
    }

    private async Task<bool> TryAdd(string table, DbRow row)
    {
        try
        {
            await db.AddAsync(table, row, CancellationToken.None);
            return true;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Conflict)
        {
            return false;
        }
    }

    /// <summary>A page of <paramref name="owner"/>'s box. Only <paramref name="query"/>'s message columns are
    /// conditions (never <c>id</c> or <c>mkey</c>, whatever <c>_ops</c> says); a condition on <c>mtime</c> also narrows
    /// the key range, so DynamoDB and Redis read only that part of the box.</summary>
    public Task<DbResult> SelectAsync(string table, string owner, DbRow query, DbOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(options);
        var conditions = new DbRow();
        foreach (var (k, v) in query)
            if (k is not ("id" or "mkey" or "icon")) conditions[k] = v;
        conditions["id"] = owner;
        options.Ops.Remove("id");
        options.Ops.Remove("mkey");
        if (conditions.TryGetValue("mtime", out var value) && DbValues.ToLong(value) is { } t && t is >= 0 and < MessageTables.MaxTime)
        {
            // mkey order is mtime order, so an mtime bound is an mkey bound (KeyFloor(t) sorts before every key of t).
            var range = options.OpFor("mtime") switch
            {
                DbCompare.Gt => (Op: DbCompare.Ge, Value: (object)MessageTables.KeyFloor(t + 1)),
                DbCompare.Ge => (DbCompare.Ge, MessageTables.KeyFloor(t)),
                DbCompare.Lt => (DbCompare.Lt, MessageTables.KeyFloor(t)),
                DbCompare.Le => (DbCompare.Lt, MessageTables.KeyFloor(t + 1)),
                DbCompare.Eq => (DbCompare.Between, new List<object> { MessageTables.KeyFloor(t), MessageTables.KeyFloor(t + 1) }),
                _ => ((DbCompare Op, object Value)?)null,
            };
            if (range is { } r)
            {
                conditions["mkey"] = r.Value;
                options.Ops["mkey"] = r.Op;
            }
        }
        return db.SelectAsync(table, conditions, options, cancellationToken);
    }

    /// <summary>One message of <paramref name="owner"/>'s box by the other account and time, or null.</summary>
    public ValueTask<DbRow?> GetAsync(string table, string owner, string other, long mtime, CancellationToken cancellationToken) =>
        db.GetAsync(table, new DbRow { ["id"] = owner, ["mkey"] = MessageTables.Key(mtime, other) }, cancellationToken);

    /// <summary>Every message of <paramref name="owner"/>'s box from or to <paramref name="other"/> and/or at
    /// <paramref name="mtime"/> (at least one of them).</summary>
    public async Task<List<DbRow>> FindAsync(string table, string owner, string? other, long? mtime, CancellationToken cancellationToken)
    {
        if (other is not null && mtime is { } exact)
            return await GetAsync(table, owner, other, exact, cancellationToken) is { } row ? [row] : [];
        var query = new DbRow();
        if (other is not null) query[MessageTables.OtherColumn(table)] = other;
        if (mtime is not null) query["mtime"] = mtime;
        return await AllAsync(table, owner, query, cancellationToken);
    }

    /// <summary>Every message of <paramref name="owner"/>'s box matching <paramref name="query"/>, read page by page to
    /// the end before the caller changes any of them (deleting while following tokens could skip rows).</summary>
    public async Task<List<DbRow>> AllAsync(string table, string owner, DbRow query, CancellationToken cancellationToken)
    {
        var rows = new List<DbRow>();
        var options = new DbOptions { Count = ApiOptions.MaxCount };
        while (true)
        {
            var page = await SelectAsync(table, owner, query, options, cancellationToken);
            rows.AddRange(page.Rows);
            if (page.NextToken.Length == 0) return rows;
            options.Start = page.NextToken;
        }
    }

    /// <summary>Moves an inbox row to the archive: written there first, then deleted from the inbox, so the message
    /// (and its image) always has a row.</summary>
    public async Task ArchiveAsync(DbRow inboxRow)
    {
        ArgumentNullException.ThrowIfNull(inboxRow);
        await db.PutAsync(MessageTables.Archive, inboxRow, CancellationToken.None);
        await db.DelAsync(MessageTables.Inbox, Keys(inboxRow), CancellationToken.None);
    }

    /// <summary>Deletes a row of a box, then its image when no box refers to it any more.</summary>
    public async Task DeleteAsync(string table, DbRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        await db.DelAsync(table, Keys(row), CancellationToken.None);
        // A path that is not ours (an admin may write rows through the data API) is left alone.
        if (row.GetString("icon") is not { Length: > 0 } icon || !FileStorePath.IsValid(icon) || row.GetLong("mtime") is not { } mtime) return;
        var owner = row.GetString("id")!;
        var (sender, recipient) = table == MessageTables.Sent ? (owner, row.GetString("recipient")!) : (row.GetString("sender")!, owner);
        // Checked after the delete: of two boxes deleting at once, the later one always sees the other gone.
        var inboxKeys = new DbRow { ["id"] = recipient, ["mkey"] = MessageTables.Key(mtime, sender) };
        var sentKeys = new DbRow { ["id"] = sender, ["mkey"] = MessageTables.Key(mtime, recipient) };
        foreach (var (t, keys) in new[] { (MessageTables.Inbox, inboxKeys), (MessageTables.Archive, inboxKeys), (MessageTables.Sent, sentKeys) })
        {
            if ((await db.GetAsync(t, keys, CancellationToken.None))?.GetString("icon") == icon) return;
        }
        await files.DeleteAsync(icon, CancellationToken.None);
    }

    /// <summary>The stored image of a message visible to <paramref name="me"/>: as the recipient (inbox, then archive)
    /// or as the sender (sent box; <paramref name="recipient"/> picks among messages to several accounts in the same
    /// millisecond). Null when there is none.</summary>
    public async Task<(Stream Content, string ContentType)?> OpenImageAsync(string me, string sender, long mtime, string? recipient, CancellationToken cancellationToken)
    {
        string? icon = null;
        if (sender != me || recipient is null)
        {
            icon = (await GetAsync(MessageTables.Inbox, me, sender, mtime, cancellationToken))?.GetString("icon")
                ?? (await GetAsync(MessageTables.Archive, me, sender, mtime, cancellationToken))?.GetString("icon");
        }
        if (icon is null && sender == me)
        {
            var sent = await FindAsync(MessageTables.Sent, me, recipient, mtime, cancellationToken);
            icon = sent.Select(r => r.GetString("icon")).FirstOrDefault(i => i is { Length: > 0 });
        }
        if (icon is not { Length: > 0 } || !FileStorePath.IsValid(icon)) return null;
        return await files.OpenAsync(icon, cancellationToken) is { } stream ? (stream, MessageImage.ContentTypeOf(icon)) : null;
    }

    private static DbRow Keys(DbRow row) => new() { ["id"] = row["id"], ["mkey"] = row["mkey"] };
}
