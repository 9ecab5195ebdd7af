using Microsoft.Extensions.Configuration;

namespace Backend.Files;

/// <summary>The local file store: <c>-images-dir</c> (absolute: path parameters are resolved against the home).
/// Bound from the parameter registry.</summary>
internal sealed class FileStoreOptions
{
    /// <summary>Directory of uploaded images.</summary>
    [ConfigurationKeyName("images-dir")]
    public string ImagesDir { get; set; } = "images";
}
