namespace Backend.Files;

/// <summary>One file of an <see cref="IFileStore"/>, as <see cref="IFileStore.ListAsync"/> finds it.</summary>
public sealed class FileStoreEntry
{
    /// <summary>Describes a file: its store path (by the rules of <see cref="IFileStore"/>), size and last write time.</summary>
    public FileStoreEntry(string path, long length, DateTimeOffset lastModified)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        Length = length;
        LastModified = lastModified;
    }

    /// <summary>The relative, <c>/</c>-separated path, as the other methods of the store take it.</summary>
    public string Path { get; }

    /// <summary>Size in bytes.</summary>
    public long Length { get; }

    /// <summary>When the file was last written (stores replace whole files, so this is when it was stored).</summary>
    public DateTimeOffset LastModified { get; }

    /// <summary>A token that changes whenever the content does (S3's ETag), or null when the store has none (then
    /// <see cref="Length"/> and <see cref="LastModified"/> stand for it).</summary>
    public string? Version { get; init; }
}
