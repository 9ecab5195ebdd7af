using System.Globalization;
using Backend.Configuration;

namespace Backend.Runtime;

/// <summary>What this process is, decided once from the parameters and, for a process the runtime started, from the
/// variables its parent set (<see cref="ChildVariables"/>). Registered in DI.</summary>
internal sealed record RuntimePlan(ProcessRole Role, string? ChildId = null, int OwnPort = 0)
{
    /// <summary>A single-process server (tests and embedded hosts that never asked for a role).</summary>
    public static RuntimePlan SingleProcess { get; } = new(ProcessRole.Single);

    /// <summary>True for the roles that serve HTTP in this process.</summary>
    public bool ServesHttp => Role is ProcessRole.Single or ProcessRole.Worker;

    /// <summary>A worker behind the parent's reverse proxy listens on its own loopback port.</summary>
    public bool Proxied => Role == ProcessRole.Worker && OwnPort != 0;

    public static RuntimePlan From(BackendConfig config, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (environment.TryGetValue(ChildVariables.Role, out var role) && role.Length > 0)
        {
            if (!Enum.TryParse<ProcessRole>(role, ignoreCase: true, out var parsed))
                throw new ConfigException($"{ChildVariables.Role}={role} is not a process role");
            environment.TryGetValue(ChildVariables.Id, out var id);
            var port = environment.TryGetValue(ChildVariables.Port, out var p) && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            return new RuntimePlan(parsed, id, port);
        }
        var top = TopRole(config, environment.ContainsKey(ChildVariables.NoWatch));
        if (top != ProcessRole.Single && !Posix.Supported)
            throw new ConfigException($"-{top.ToString().ToLowerInvariant()}: the process runtime (-web, -master, -monitor, -daemon, -watch) runs on Linux only; run one process without them");
        return new RuntimePlan(top);
    }

    private static ProcessRole TopRole(BackendConfig config, bool noWatch)
    {
        if (config.GetBool("watch") && !noWatch) return ProcessRole.Watcher;
        if (config.GetBool("monitor")) return ProcessRole.Monitor;
        if (config.GetBool("web")) return ProcessRole.Server;
        if (config.GetBool("master")) return ProcessRole.Master;
        return ProcessRole.Single;
    }
}

/// <summary>The environment variables a parent process gives the processes it starts. Not <c>BKCS_</c> ones: those
/// are parameters.</summary>
internal static class ChildVariables
{
    /// <summary>The child's <see cref="ProcessRole"/>.</summary>
    public const string Role = "BACKENDCS_ROLE";

    /// <summary>The child's id in its parent (<c>web-1</c>, <c>master</c>, <c>job-17</c>).</summary>
    public const string Id = "BACKENDCS_ID";

    /// <summary>The parent's control socket (an abstract Unix socket name).</summary>
    public const string Control = "BACKENDCS_CONTROL";

    /// <summary>The secret a child proves itself with on the control socket (the environment of a process is readable by
    /// its user only; the abstract socket's name is visible to everyone).</summary>
    public const string Token = "BACKENDCS_TOKEN";

    /// <summary>A proxied worker's own loopback port.</summary>
    public const string Port = "BACKENDCS_PORT";

    /// <summary>Set by -watch on the server it runs, so that one does not watch again.</summary>
    public const string NoWatch = "BACKENDCS_NOWATCH";

    /// <summary>Set by -daemon on the detached copy of itself.</summary>
    public const string Daemonized = "BACKENDCS_DAEMONIZED";

    /// <summary>Every variable above: removed from a child's environment before its own are set.</summary>
    public static readonly string[] All = [Role, Id, Control, Token, Port, NoWatch, Daemonized, .. Backend.Jobs.JobVariables.All];
}
