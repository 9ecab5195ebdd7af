using Microsoft.Extensions.Options;

namespace Backend.Files;

/// <summary>An <see cref="IFileStore"/> on the local disk under one root directory (<c>-images-dir</c>, the
/// home's <c>images/</c> by default). Writes go to a temporary file in the target directory, then are moved over the
/// target, so readers never see half a file. Every path is checked by <see cref="FileStorePath"/> and its resolved
/// full path must stay under the root.</summary>
internal sealed class LocalFileStore : IFileStore
{
    private const string TempSuffix = ".tmp";
    private readonly string _rootWithSeparator;

    /// <summary>Creates a store rooted at <paramref name="root"/> (created when missing).</summary>
    public LocalFileStore(string root)
        : this(root, create: true)
    {
    }

    /// <summary>Creates the store of <c>-images-dir</c>. The directory is not touched until the first write, so
    /// building the store (as mapping the message endpoints does) changes nothing on disk.</summary>
    public LocalFileStore(IOptions<FileStoreOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.ImagesDir, create: false)
    {
    }

    /// <summary>Creates a store rooted at <paramref name="root"/>, creating the directory now only when
    /// <paramref name="create"/> (else at the first write).</summary>
    internal LocalFileStore(string root, bool create)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        _rootWithSeparator = Path.EndsInDirectorySeparator(Root) ? Root : Root + Path.DirectorySeparatorChar;
        if (create) Directory.CreateDirectory(Root);
    }

    /// <summary>The absolute root directory.</summary>
    public string Root { get; }

    /// <summary>The absolute file name of a store path; <see cref="ArgumentException"/> when the path is invalid or
    /// would resolve outside the root.</summary>
    public string FullPath(string path)
    {
        FileStorePath.Validate(path);
        var full = Path.GetFullPath(Path.Combine(Root, path));
        // The rules above already exclude "..", but the resolved name is what the OS opens: check it as well.
        if (!full.StartsWith(_rootWithSeparator, StringComparison.Ordinal))
            throw new ArgumentException("invalid file store path: outside the store", nameof(path));
        return full;
    }

    /// <inheritdoc />
    public Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return WriteAtomic(path, file => content.CopyToAsync(file, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        WriteAtomic(path, file => file.WriteAsync(content, cancellationToken).AsTask(), cancellationToken);

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        if (!File.Exists(full)) return Task.FromResult<Stream?>(null); // also a directory of that name
        try
        {
            // FileShare.Delete: a reader must not stop a concurrent replace or delete of the file.
            Stream stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = FullPath(path);
        if (!File.Exists(full)) return Task.FromResult(false);
        try
        {
            File.Delete(full);
            return Task.FromResult(true);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult(false);
        }
    }

    /// <inheritdoc />
    public Task<FileStoreEntry?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(FullPath(path));
        return Task.FromResult(info.Exists ? new FileStoreEntry(path, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)) : null);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(FullPath(path)));

    /// <inheritdoc />
    /// <remarks>Regular files only, read from the disk as the listing goes: symbolic links (to files or folders) are
    /// neither listed nor followed, nor is a <paramref name="directory"/> reached through one, so nothing outside the
    /// root is ever named; this store's own writes in progress (<c>.NAME.ID.tmp</c>) and names the path rules refuse
    /// are left out.</remarks>
    public IAsyncEnumerable<FileStoreEntry> ListAsync(string? directory = null, CancellationToken cancellationToken = default)
    {
        // Checked now, not at the first read: a bad folder is the caller's error.
        var start = string.IsNullOrEmpty(directory) ? Root : FullPath(directory);
        return List(start, cancellationToken).ToAsyncEnumerable();
    }

    private IEnumerable<FileStoreEntry> List(string start, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(start) || ThroughLink(start)) yield break;
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            // A link is skipped, so a linked folder is not entered either; hidden files are listed (the default skips them).
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.LinkTarget is not null || !file.FullName.StartsWith(_rootWithSeparator, StringComparison.Ordinal)) continue;
            if (file.Name.StartsWith('.') && file.Name.EndsWith(TempSuffix, StringComparison.Ordinal)) continue;
            var path = file.FullName[_rootWithSeparator.Length..];
            if (Path.DirectorySeparatorChar != '/') path = path.Replace(Path.DirectorySeparatorChar, '/');
            if (!FileStorePath.IsValid(path)) continue;
            yield return new FileStoreEntry(path, file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
        }
    }

    // True when a folder between the root (excluded: it may be a link on purpose) and start is a symbolic link.
    private bool ThroughLink(string start)
    {
        for (var dir = new DirectoryInfo(start); dir.FullName.Length > Root.Length; dir = dir.Parent!)
        {
            if (dir.LinkTarget is not null) return true;
        }
        return false;
    }

    private async Task WriteAtomic(string path, Func<FileStream, Task> write, CancellationToken cancellationToken)
    {
        var target = FullPath(path);
        var dir = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        // Same directory, so the final move is a rename on one file system (atomic on POSIX); a random name so that
        // concurrent writers of one path never share a temporary file.
        var temp = Path.Combine(dir, "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + TempSuffix);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await write(file);
                await file.FlushAsync(cancellationToken);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // best effort: a leftover temporary file is harmless
        }
        catch (UnauthorizedAccessException)
        {
            // same
        }
    }
}
