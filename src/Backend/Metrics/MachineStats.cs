using System.Text.Json;
using Backend.Runtime;

namespace Backend.Metrics;

/// <summary>The statistics <c>/system/stats/get</c> answers: this process's, or, on a Web worker, the whole machine's
/// (the Web server parent asks every worker for its figures over the control socket and merges them:
/// <see cref="ProcessStats.Merge"/>). If the parent does not answer in time, this worker's own, with
/// <c>processes</c> 1.</summary>
internal sealed class MachineStats(IServiceProvider services, RuntimePlan plan, ParentLinkHolder holder)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly StatsCollector? _collector = services.GetService(typeof(StatsCollector)) as StatsCollector;

    /// <summary>False with <c>-api-no-metrics</c>.</summary>
    public bool Enabled => _collector is not null;

    public async Task<ProcessStats> GetAsync(CancellationToken ct)
    {
        if (_collector is null) throw new Http.ApiException(404, "Statistics are off on this server (-api-no-metrics)");
        if (plan.Role == ProcessRole.Worker && holder.Link is { HasParent: true } link
            && await link.RequestStatsAsync(Timeout, ct) is { ValueKind: JsonValueKind.Object } merged
            && merged.Deserialize<ProcessStats>() is { } stats)
        {
            return stats;
        }
        return _collector.Snapshot();
    }
}
