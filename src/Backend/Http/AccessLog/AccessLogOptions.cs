using Microsoft.Extensions.Configuration;

namespace Backend.Http.AccessLog;

/// <summary>The access log: <c>-api-access-log</c> (the file, resolved against the home) and <c>-api-no-access-log</c>.
/// Bound from the parameter registry; <see cref="OnByDefault"/> is the process runtime's say (set by the builder).</summary>
internal sealed class AccessLogOptions
{
    /// <summary>The file, absolute; empty or null: the default (<see cref="OnByDefault"/>).</summary>
    [ConfigurationKeyName("api-access-log")]
    public string? File { get; set; }

    /// <summary>No access log at all, whatever <see cref="File"/> says.</summary>
    [ConfigurationKeyName("api-no-access-log")]
    public bool Off { get; set; }

    /// <summary>True for a process that serves as part of a server (a Web worker, or a process started with
    /// <c>-daemon</c>): it writes <c>log/access.log</c> unless told otherwise. A single process in the foreground
    /// (<c>bkcs run</c>, tests, an app run from its project) writes an access log only when <see cref="File"/> is
    /// set.</summary>
    public bool OnByDefault { get; set; }
}
