namespace Backend.Files;

/// <summary>Where uploaded files (message images, later icons) live. Paths are relative, <c>/</c>-separated names
/// such as <c>message/ab/abcdef.png</c>; an implementation refuses anything that could leave its root
/// (<see cref="FileStorePath.Validate"/>). The local disk is the default (<see cref="LocalFileStore"/>); an app or a
/// later module may register another one (S3, ...) before the built-in modules are added. Listing
/// (<see cref="ListAsync"/>) is optional: its default implementation throws <see cref="NotSupportedException"/>.</summary>
public interface IFileStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="path"/>, replacing an existing file. Readers
    /// see either the old file or the whole new one, never a partial write.</summary>
    Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="content"/> under <paramref name="path"/> (see the stream overload).</summary>
    Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>A readable stream of the file (the caller disposes it), or null when there is none.</summary>
    Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Deletes the file; false when there was none.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>True when the file exists.</summary>
    Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>What the store knows of one file (size, last write time and, when it has one, a version such as
    /// S3's ETag), or null when there is no such file. Used for caching headers (the files API's ETag and
    /// Last-Modified), so it is optional: this default answers null for every path, and callers then do without.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> breaks the path rules.</exception>
    Task<FileStoreEntry?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        FileStorePath.Validate(path);
        return Task.FromResult<FileStoreEntry?>(null);
    }

    /// <summary>Every file under the folder <paramref name="directory"/> (a path by the same rules; null or empty: the
    /// whole store), at any depth, in no particular order; nothing when there is no such folder. A file written or
    /// deleted while the listing runs may or may not be in it. Used by housekeeping (the <c>cleanup-images</c> job), so
    /// it is optional: this default throws <see cref="NotSupportedException"/>, and a store written before it existed
    /// keeps compiling and working (the job then fails saying so, and deletes nothing). A store that can list
    /// overrides it.</summary>
    /// <exception cref="NotSupportedException">The store cannot list its files (thrown by the call or by the first
    /// read of the listing).</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> breaks the path rules.</exception>
    IAsyncEnumerable<FileStoreEntry> ListAsync(string? directory = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"the file store {GetType().FullName} cannot list its files (IFileStore.ListAsync is not implemented)");
}
