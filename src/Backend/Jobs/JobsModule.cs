using Backend.Configuration;
using Backend.Data;
using Backend.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Backend.Jobs;

/// <summary>The jobs module (docs/jobs.md): the registry of jobs (<c>app.Jobs</c>) with the built-in ones (its own and
/// those other modules register as <see cref="JobRegistration"/> services), the master's scheduler (crontab and remote
/// queue; a hosted service that works only in the master), the job process (<see cref="ProcessRole.Job"/>), and the
/// tables of runs and queued jobs. The system API maps its endpoints (<c>/system/jobs/*</c>) on <see cref="JobRuns"/>
/// and the registry.</summary>
internal static class JobsModule
{
    public static void Describe(TableRegistry tables) => JobTables.Describe(tables);

    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<JobsOptions>(config);
        services.TryAddSingleton(sp =>
        {
            var registry = new JobRegistry();
            BuiltInJobs.Register(registry);
            foreach (var job in sp.GetServices<JobRegistration>()) registry.Add(job.Name, job.Run, job.Description);
            return registry;
        });
        services.TryAddSingleton<JobRuns>();
        services.TryAddSingleton<JobExecutor>();
        services.TryAddSingleton<JobLauncher>();
        services.TryAddSingleton<CrontabFiles>();
        services.AddSingleton<IHostedService, JobScheduler>();
        services.AddSingleton<IRoleRunner, JobRoleRunner>();
    }
}
