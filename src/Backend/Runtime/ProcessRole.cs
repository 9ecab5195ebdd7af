namespace Backend.Runtime;

/// <summary>What one process of a Backend.cs server does (docs/operations.md, "Processes"). <c>ps -e</c> shows it as
/// <c>bkcs: ROLE</c>, as the reference's <c>backend: ROLE</c>.</summary>
internal enum ProcessRole
{
    /// <summary>One process serves the API (no -web, -master or -monitor): development, tests, a container.</summary>
    Single,

    /// <summary><c>-monitor</c>: starts the Web server and the master and restarts any that exits.</summary>
    Monitor,

    /// <summary><c>-web</c>: the Web server parent; owns the port, starts the workers, restarts them one at a time.</summary>
    Server,

    /// <summary>A Web worker: serves the API on the shared port (or its own loopback port behind the parent's proxy).</summary>
    Worker,

    /// <summary><c>-master</c>: the jobs scheduler (etc/crontab, the remote job queue); serves no HTTP.</summary>
    Master,

    /// <summary>One job, started by the master; exits when the job ends.</summary>
    Job,

    /// <summary><c>-watch</c>: restarts the server when its config or sources change.</summary>
    Watcher,
}
