using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.Jobs;

/// <summary>What a running job gets besides its arguments: its name and run id, the app's services, database,
/// configuration and a logger named for the job.</summary>
public sealed class JobContext
{
    internal JobContext(string name, string runId, IServiceProvider services, Db db, BackendConfig config, ILogger logger)
    {
        Name = name;
        RunId = runId;
        Services = services;
        Db = db;
        Config = config;
        Logger = logger;
    }

    /// <summary>The job's name.</summary>
    public string Name { get; }

    /// <summary>The id of this run in <c>bk_job_run</c>.</summary>
    public string RunId { get; }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The database facade.</summary>
    public Db Db { get; }

    /// <summary>The configuration.</summary>
    public BackendConfig Config { get; }

    /// <summary>A logger for this job.</summary>
    public ILogger Logger { get; }
}
