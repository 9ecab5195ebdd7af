using System.Globalization;
using Backend.Data;
using Backend.Files;
using Backend.Images;

namespace Backend.Api.Icons;

/// <summary>Icons on the <see cref="Db"/> facade (<c>bk_icon</c>) and their files in the images store. The file is
/// written before its row and deleted after it, so a row never names a missing file; a replaced icon whose format
/// changed leaves its old file, deleted once the new row is in. Writes ignore cancellation: a client that goes away
/// must not leave half an icon behind.</summary>
internal sealed class IconStore(Db db, IFileStore files, IImageProcessor images, TimeProvider time)
{
    /// <summary>One icon as found: its row and whether the viewer may see it.</summary>
    public sealed record Found(DbRow Row, string Path, string ContentType, long Mtime);

    /// <summary>Processes <paramref name="upload"/> and stores it as the icon (<paramref name="id"/>, prefix, type);
    /// returns the stored row.</summary>
    public async Task<DbRow> PutAsync(string id, string prefix, string type, ImageUpload upload, ImageRequest request, DbRow columns, CancellationToken cancellationToken)
    {
        var image = await upload.ProcessAsync(images, request, cancellationToken);
        var ct = CancellationToken.None;
        var key = IconNames.Key(prefix, type);
        var old = await db.GetAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = key }, ct);
        var path = IconNames.Path(id, prefix, type, image.Format);
        await files.PutAsync(path, image.Data, ct);
        var row = new DbRow(columns)
        {
            ["id"] = id,
            ["type"] = key,
            ["prefix"] = prefix,
            ["ext"] = image.Format,
            ["width"] = (long)image.Width,
            ["height"] = (long)image.Height,
            ["mtime"] = time.GetUtcNow().ToUnixTimeMilliseconds(),
            ["icon"] = path,
        };
        // acl_allow is kept from the old row unless given ("" is a value: owner only).
        if (!row.ContainsKey("acl_allow")) row["acl_allow"] = old?.GetString("acl_allow") ?? "";
        try
        {
            await db.PutAsync(IconTables.Icon, row, ct);
        }
        catch
        {
            if (old?.GetString("icon") != path) await files.DeleteAsync(path, ct);
            throw;
        }
        if (old?.GetString("icon") is { Length: > 0 } oldPath && oldPath != path && FileStorePath.IsValid(oldPath)) await files.DeleteAsync(oldPath, ct);
        if (prefix == IconTables.AccountPrefix) await AccountIconSummary.RebuildAsync(db, id, type, row.GetString("acl_allow"));
        return row;
    }

    /// <summary>The icon, when it exists and <paramref name="viewer"/> may see it; null otherwise (the caller answers
    /// 404 for both).</summary>
    public async Task<Found?> FindAsync(string id, string prefix, string type, string? viewer, CancellationToken cancellationToken)
    {
        var row = await db.GetAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = IconNames.Key(prefix, type) }, cancellationToken);
        if (row is null || !IconAccess.Allows(id, row.GetString("acl_allow"), viewer)) return null;
        if (row.GetString("icon") is not { Length: > 0 } path || !FileStorePath.IsValid(path)) return null;
        return new Found(row, path, ImageFormats.ContentTypeOfExtension(row.GetString("ext") ?? ""), row.GetLong("mtime") ?? 0);
    }

    /// <summary>The file of a found icon, or null when it went away meanwhile.</summary>
    public Task<Stream?> OpenAsync(Found icon, CancellationToken cancellationToken) => files.OpenAsync(icon.Path, cancellationToken);

    /// <summary>The icons of <paramref name="id"/> under <paramref name="prefix"/> whose type starts with
    /// <paramref name="typePrefix"/>, those <paramref name="viewer"/> may see, at most <paramref name="count"/>.</summary>
    public async Task<List<DbRow>> SelectAsync(string id, string prefix, string typePrefix, string? viewer, int count, CancellationToken cancellationToken)
    {
        var options = new DbOptions { Count = count };
        options.Ops["type"] = DbCompare.BeginsWith;
        var result = await db.SelectAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = IconNames.Key(prefix, typePrefix) }, options, cancellationToken);
        return [.. result.Rows.Where(r => IconAccess.Allows(id, r.GetString("acl_allow"), viewer))];
    }

    /// <summary>Deletes an icon: its row, then its file. False when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, string prefix, string type)
    {
        var ct = CancellationToken.None;
        var keys = new DbRow { ["id"] = id, ["type"] = IconNames.Key(prefix, type) };
        var row = await db.GetAsync(IconTables.Icon, keys, ct);
        if (row is null) return false;
        await db.DelAsync(IconTables.Icon, keys, ct);
        if (row.GetString("icon") is { Length: > 0 } path && FileStorePath.IsValid(path)) await files.DeleteAsync(path, ct);
        if (prefix == IconTables.AccountPrefix) await AccountIconSummary.RebuildAsync(db, id, type, null);
        return true;
    }

    /// <summary>Deletes every icon of an account (account deletion).</summary>
    public async Task DeleteAllAsync(string id)
    {
        var ct = CancellationToken.None;
        string? token = null;
        do
        {
            var result = await db.SelectAsync(IconTables.Icon, new DbRow { ["id"] = id }, new DbOptions { Count = 100, Start = token is { Length: > 0 } ? token : null }, ct);
            foreach (var row in result.Rows)
            {
                await db.DelAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = row.GetString("type") }, ct);
                if (row.GetString("icon") is { Length: > 0 } path && FileStorePath.IsValid(path)) await files.DeleteAsync(path, ct);
            }
            token = result.NextToken;
        }
        while (token is { Length: > 0 });
    }

    /// <summary>An entity tag of a stored icon (its time and size in the row), for conditional GETs.</summary>
    public static string ETag(Found icon) => string.Create(CultureInfo.InvariantCulture, $"\"{icon.Mtime:x}-{icon.Row.GetLong("width") ?? 0}x{icon.Row.GetLong("height") ?? 0}\"");
}
