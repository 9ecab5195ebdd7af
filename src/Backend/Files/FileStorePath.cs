namespace Backend.Files;

/// <summary>The rules for file store paths, shared by every <see cref="IFileStore"/>: relative, <c>/</c>-separated,
/// no empty, <c>.</c> or <c>..</c> segments, no backslashes, NUL or other control characters, no drive letters.
/// Stores check these before touching anything, so a path built from client input can never name a file outside
/// the store.</summary>
public static class FileStorePath
{
    /// <summary>Longest path accepted.</summary>
    public const int MaxLength = 1024;

    /// <summary>True when <paramref name="path"/> follows the rules.</summary>
    public static bool IsValid(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > MaxLength) return false;
        // '/' first: an absolute path; '\' is a separator on Windows and never needed; ':' would be a drive or an
        // NTFS stream; control characters (NUL above all) end or confuse native file names.
        if (path[0] == '/') return false;
        foreach (var c in path)
            if (c == '\\' || c == ':' || char.IsControl(c)) return false;
        foreach (var segment in path.Split('/'))
            if (segment is "" or "." or "..") return false;
        return true;
    }

    /// <summary>Returns <paramref name="path"/> or throws <see cref="ArgumentException"/> when it breaks the rules.</summary>
    public static string Validate(string? path) =>
        IsValid(path) ? path! : throw new ArgumentException($"invalid file store path: {Describe(path)}", nameof(path));

    // The offending path may hold control characters; keep the exception message printable.
    private static string Describe(string? path) =>
        path is null ? "null" : new string([.. path.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
