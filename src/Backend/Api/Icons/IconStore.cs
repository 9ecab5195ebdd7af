using System.Globalization;
using Backend.Data;
using Backend.Files;
using Backend.Images;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Backend.Api.Icons;

/// <summary>Icons on the <see cref="Db"/> facade (<c>bk_icon</c>) and their files in the images store. The file is
/// written before its row and deleted after it, so a row never names a missing file; a replaced icon whose format
/// changed leaves its old file, deleted once the new row is in. Writes ignore cancellation: a client that goes away
/// must not leave half an icon behind. Renditions (<c>-api-icon-sizes</c>) are files beside the icon's, written
/// before its row and deleted with it; one missing (an icon stored before its size was configured) is made from the
/// icon when first asked for.</summary>
internal sealed partial class IconStore(Db db, IFileStore files, IImageProcessor images, IconSettings settings, TimeProvider time, ILogger<IconStore> logger)
{
    /// <summary>One icon as found: its row, the file to serve (the icon's or a rendition's) and its rendition (null:
    /// the icon itself).</summary>
    public sealed record Found(DbRow Row, string Path, string ContentType, long Mtime, IconSize? Size = null);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The settings the store works with.</summary>
    public IconSettings Settings => settings;

    /// <summary>Processes <paramref name="upload"/> and stores it as the icon (<paramref name="id"/>, prefix, type);
    /// returns the stored row.</summary>
    public async Task<DbRow> PutAsync(string id, string prefix, string type, ImageUpload upload, ImageRequest request, DbRow columns, CancellationToken cancellationToken)
    {
        var image = await upload.ProcessAsync(images, request, cancellationToken);
        var ct = CancellationToken.None;
        var key = IconNames.Key(prefix, type);
        var old = await db.GetAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = key }, ct);
        // A file of its own (IconNames.NewPath): the row still in place keeps serving the old one until it is replaced.
        var path = IconNames.NewPath(id, prefix, type, image.Format);
        // The renditions first (each from the upload, as if asked with its _width/_height), so the row never names an
        // icon whose configured sizes are missing; the icon's own file last.
        // All are processed before anything is written, so an image one of them refuses writes nothing.
        var sizes = settings.SizesOf(prefix);
        var renditions = new byte[sizes.Count][];
        for (var i = 0; i < sizes.Count; i++)
            renditions[i] = (await upload.ProcessAsync(images, request with { Width = sizes[i].Width, Height = sizes[i].Height, Format = image.Format }, cancellationToken)).Data;
        for (var i = 0; i < sizes.Count; i++) await files.PutAsync(IconNames.Rendition(path, sizes[i].Name), renditions[i], ct);
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
            await DeleteFiles(prefix, path);
            throw;
        }
        // Two puts of one icon racing may each delete the same old file and leave the loser's new one unreferenced: an
        // orphan in the store, never a file served under the wrong row.
        if (old?.GetString("icon") is { Length: > 0 } oldPath && oldPath != path && FileStorePath.IsValid(oldPath))
            await DeleteFiles(prefix, oldPath);
        if (prefix == IconTables.AccountPrefix) await AccountIconSummary.RebuildAsync(db, id, type, row.GetString("acl_allow"));
        return row;
    }

    /// <summary>Stores an image without a row (<c>/icon/upload</c>) under a new random name in the owner's uploads
    /// folder; returns its store path. Nobody can list the folder through the API, so the name (128 random bits) is
    /// what guards it.</summary>
    public async Task<string> UploadAsync(string id, string prefix, ImageUpload upload, ImageRequest request, CancellationToken cancellationToken)
    {
        var image = await upload.ProcessAsync(images, request, cancellationToken);
        var path = $"{IconNames.UploadOwnerFolder(id)}/{prefix}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{image.Format}";
        await files.PutAsync(path, image.Data, CancellationToken.None);
        return path;
    }

    /// <summary>An uploaded image's store path from the segments of its URL (<c>/image/uploads/HASH/PREFIX/NAME</c>),
    /// or null when they are not the shape <see cref="UploadAsync"/> makes (so no other file can be reached).</summary>
    public static string? UploadPath(string? hash, string? prefix, string? name)
    {
        if (hash is not { Length: 32 } || !hash.All(char.IsAsciiHexDigitLower) || !IconNames.IsPrefix(prefix) || name is null) return null;
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot != 32 || name.AsSpan(0, dot).ContainsAnyExcept(LowerHex) || ImageFormats.Normalize(name[(dot + 1)..]) != name[(dot + 1)..]) return null;
        return $"{IconNames.UploadFolder}/{hash[..2]}/{hash}/{prefix}/{name}";
    }

    /// <summary>Deletes an icon's file and its renditions (those configured now: a size dropped from the configuration
    /// leaves its files).</summary>
    private async Task DeleteFiles(string prefix, string path)
    {
        var ct = CancellationToken.None;
        foreach (var size in settings.SizesOf(prefix)) await files.DeleteAsync(IconNames.Rendition(path, size.Name), ct);
        await files.DeleteAsync(path, ct);
    }

    /// <summary>The icon (or its rendition <paramref name="size"/>), when it exists and <paramref name="viewer"/> may
    /// see it; null otherwise (the caller answers 404 for both).</summary>
    public async Task<Found?> FindAsync(string id, string prefix, string type, string? viewer, CancellationToken cancellationToken, IconSize? size = null)
    {
        var row = await db.GetAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = IconNames.Key(prefix, type) }, cancellationToken);
        if (row is null || !IconAccess.Allows(id, row.GetString("acl_allow"), viewer)) return null;
        if (row.GetString("icon") is not { Length: > 0 } path || !FileStorePath.IsValid(path)) return null;
        var ext = row.GetString("ext") ?? "";
        if (size is not null) path = IconNames.Rendition(path, size.Name);
        return new Found(row, path, ImageFormats.ContentTypeOfExtension(ext), row.GetLong("mtime") ?? 0, size);
    }

    /// <summary>The file of a found icon, or null when it went away meanwhile. A rendition that was never made (its
    /// size configured after the upload) is made now from the icon and stored.</summary>
    public async Task<Stream?> OpenAsync(Found icon, CancellationToken cancellationToken)
    {
        var stream = await files.OpenAsync(icon.Path, cancellationToken);
        if (stream is not null || icon.Size is not { } size) return stream;
        if (icon.Row.GetString("icon") is not { Length: > 0 } original || !FileStorePath.IsValid(original)) return null;
        byte[] bytes;
        await using (var source = await files.OpenAsync(original, cancellationToken))
        {
            if (source is null) return null;
            using var buffer = new MemoryStream();
            await source.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        ProcessedImage rendition;
        try
        {
            rendition = await images.ProcessAsync(bytes, new ImageRequest { Width = size.Width, Height = size.Height, Format = icon.Row.GetString("ext") }, cancellationToken);
        }
        catch (ImageException ex)
        {
            // The stored icon was written by the processor, so this is the store's fault, not the client's.
            LogRenditionFailed(logger, ex, icon.Path);
            return null;
        }
        await files.PutAsync(icon.Path, rendition.Data, CancellationToken.None);
        return new MemoryStream(rendition.Data, writable: false);
    }

    /// <summary>The file of an upload (<see cref="UploadPath"/>), or null.</summary>
    public Task<Stream?> OpenUploadAsync(string path, CancellationToken cancellationToken) => files.OpenAsync(path, cancellationToken);

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
        if (row.GetString("icon") is { Length: > 0 } path && FileStorePath.IsValid(path)) await DeleteFiles(prefix, path);
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
                if (row.GetString("icon") is { Length: > 0 } path && FileStorePath.IsValid(path)) await DeleteFiles(row.GetString("prefix") ?? "", path);
            }
            token = result.NextToken;
        }
        while (token is { Length: > 0 });
        // Its uploads: one folder. A store that cannot list keeps them (logged): they are reachable only by their URL.
        try
        {
            var uploads = new List<string>();
            await foreach (var entry in files.ListAsync(IconNames.UploadOwnerFolder(id), ct)) uploads.Add(entry.Path);
            foreach (var path in uploads) await files.DeleteAsync(path, ct);
        }
        catch (NotSupportedException ex)
        {
            LogUploadsKept(logger, ex, id);
        }
    }

    /// <summary>An entity tag of a stored icon (its time and size in the row, and the rendition), for conditional
    /// GETs.</summary>
    public static string ETag(Found icon) => string.Create(CultureInfo.InvariantCulture,
        $"\"{icon.Mtime:x}-{icon.Row.GetLong("width") ?? 0}x{icon.Row.GetLong("height") ?? 0}{(icon.Size is null ? "" : "@" + icon.Size.Name)}\"");

    [LoggerMessage(Level = LogLevel.Error, Message = "icon rendition {Path} could not be made from the stored icon")]
    private static partial void LogRenditionFailed(ILogger logger, Exception ex, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the uploads of account {Id} are kept: the images store cannot list its files")]
    private static partial void LogUploadsKept(ILogger logger, Exception ex, string id);
}
