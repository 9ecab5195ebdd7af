using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backend.Jobs;

/// <summary>The jobs this program can run, by name: <c>app.Jobs.Add("cleanup", async (job, args, ct) => ...)</c>. The
/// crontab, <c>bkcs run-job</c> and <c>/system/jobs/submit</c> name a job registered here; built-in jobs
/// (<c>cleanup-jobs</c>, <c>noop</c>, <c>sleep</c>, <c>crash</c>, and the messages module's <c>cleanup-images</c>) are
/// registered the same way. A job runs in a process of its own, started from this same program, so register jobs before
/// the application runs (docs/jobs.md).</summary>
public sealed partial class JobRegistry
{
    private readonly Dictionary<string, JobDefinition> _jobs = new(StringComparer.Ordinal);

    internal JobRegistry()
    {
    }

    /// <summary>Registers (or replaces) the job <paramref name="name"/> (letters, digits, <c>_ . : -</c>, at most 64
    /// characters). <paramref name="run"/> gets the run's context, its arguments (always a JSON object, <c>{}</c> when none
    /// were given) and a token cancelled when the job must stop.</summary>
    public JobRegistry Add(string name, Func<JobContext, JsonElement, CancellationToken, Task> run, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!IsValidName(name)) throw new ArgumentException($"invalid job name \"{name}\": letters, digits, _ . : - and at most 64 characters", nameof(name));
        lock (_jobs) _jobs[name] = new JobDefinition(name, run, description ?? "");
        return this;
    }

    /// <summary>True when a job of that name is registered.</summary>
    public bool Contains(string name)
    {
        lock (_jobs) return name is not null && _jobs.ContainsKey(name);
    }

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_jobs) return [.. _jobs.Keys.Order(StringComparer.Ordinal)];
        }
    }

    internal IReadOnlyList<JobDefinition> All
    {
        get
        {
            lock (_jobs) return [.. _jobs.Values.OrderBy(j => j.Name, StringComparer.Ordinal)];
        }
    }

    internal bool TryGet(string name, out JobDefinition job)
    {
        lock (_jobs) return _jobs.TryGetValue(name, out job!);
    }

    internal static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9_.:\-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>One registered job.</summary>
internal sealed record JobDefinition(string Name, Func<JobContext, JsonElement, CancellationToken, Task> Run, string Description);

/// <summary>A job a module of the core contributes (the messages module's <c>cleanup-images</c>): registered as a DI
/// service, added to the registry with the built-in jobs when the registry is built, so the jobs module needs to know
/// no other module. An app's own job of the same name, added later through <c>app.Jobs</c>, replaces it.</summary>
internal sealed record JobRegistration(string Name, Func<JobContext, JsonElement, CancellationToken, Task> Run, string Description);
