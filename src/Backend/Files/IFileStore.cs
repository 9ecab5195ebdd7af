namespace Backend.Files;

/// <summary>Where uploaded files (message images, later icons) live. Paths are relative, <c>/</c>-separated names
/// such as <c>message/ab/abcdef.png</c>; an implementation refuses anything that could leave its root
/// (<see cref="FileStorePath.Validate"/>). The local disk is the default (<see cref="LocalFileStore"/>); an app or a
/// later module may register another one (S3, ...) before the built-in modules are added.</summary>
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
}
