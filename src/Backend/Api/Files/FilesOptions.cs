using Microsoft.Extensions.Configuration;

namespace Backend.Api.Files;

/// <summary>The files API's settings, bound from the parameter registry.</summary>
internal sealed class FilesOptions
{
    /// <summary>Largest accepted file (and request body) in bytes: <c>-api-upload-limit</c>.</summary>
    [ConfigurationKeyName("api-upload-limit")]
    public long UploadLimit { get; set; } = 1_048_576;

    /// <summary><c>-api-unsecure</c>: with <c>file</c> in it, every signed-in account may put and delete files (by
    /// default only admins may).</summary>
    [ConfigurationKeyName("api-unsecure")]
    public IList<string> Unsecure { get; set; } = [];
}
