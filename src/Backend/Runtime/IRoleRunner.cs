using Backend.Hosting;

namespace Backend.Runtime;

/// <summary>Runs one <see cref="ProcessRole"/> of this process. The runtime has its own for the server roles; a module
/// registers one in DI for a role it owns (the jobs module runs <see cref="ProcessRole.Job"/>, the watcher
/// <see cref="ProcessRole.Watcher"/>).</summary>
internal interface IRoleRunner
{
    /// <summary>The role this runner runs.</summary>
    ProcessRole Role { get; }

    /// <summary>Runs until the role's work is done or <paramref name="ct"/> (SIGTERM, Ctrl-C) ends it; returns the
    /// process exit code.</summary>
    Task<int> RunAsync(BackendApplication app, CancellationToken ct);
}
