using Microsoft.Extensions.Configuration;

namespace Backend.Jobs;

/// <summary>The master's job parameters (section "server"), bound from the registry.</summary>
internal sealed class JobsOptions
{
    /// <summary>Milliseconds a job may run before its process is killed.</summary>
    [ConfigurationKeyName("server-job-max-time")]
    public int MaxTimeMs { get; set; } = 3_600_000;

    /// <summary>Jobs one master runs at once; 0 is one per core.</summary>
    [ConfigurationKeyName("server-max-jobs")]
    public int MaxJobs { get; set; }

    /// <summary>Milliseconds between two looks at the remote queue.</summary>
    [ConfigurationKeyName("server-jobs-interval")]
    public int IntervalMs { get; set; } = 2000;

    /// <summary>Tag of the remote jobs this master takes; empty takes the untagged ones.</summary>
    [ConfigurationKeyName("server-jobs-tag")]
    public string Tag { get; set; } = "";

    /// <summary>The bound on running jobs, 0 resolved to the core count.</summary>
    public int Capacity => MaxJobs > 0 ? MaxJobs : Environment.ProcessorCount;
}
