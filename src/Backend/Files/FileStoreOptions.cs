using Microsoft.Extensions.Configuration;

namespace Backend.Files;

/// <summary>The local file stores: <c>-images-dir</c> and <c>-files-dir</c> (absolute: path parameters are resolved
/// against the home). Bound from the parameter registry.</summary>
internal sealed class FileStoreOptions
{
    /// <summary>Directory of uploaded images.</summary>
    [ConfigurationKeyName("images-dir")]
    public string ImagesDir { get; set; } = "images";

    /// <summary>Directory of the files API's files.</summary>
    [ConfigurationKeyName("files-dir")]
    public string FilesDir { get; set; } = "files";
}
