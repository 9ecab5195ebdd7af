namespace Backend.Metrics;

/// <summary>API requests: the reference's <c>api</c> (<c>queue</c>, <c>count</c>, <c>response</c>) and, per route
/// pattern, a timer.</summary>
internal sealed record ApiSnapshot(HistogramSnapshot Queue, long Count, TimerSnapshot Response, Dictionary<string, TimerSnapshot> Routes);

/// <summary>A database pool: the reference's <c>pool</c>.</summary>
internal sealed record PoolSnapshot(HistogramSnapshot Queue, long Count, TimerSnapshot Response, long Errors, long Retries, long CacheHits, long CacheMisses);

/// <summary>The cache (<c>-cache-type</c>).</summary>
internal sealed record CacheSnapshot(long Hits, long Misses, TimerSnapshot Response);

/// <summary>Pub/sub messages.</summary>
internal sealed record PubSubSnapshot(long Sent, long Received, long Failed);

/// <summary>Job runs.</summary>
internal sealed record JobsSnapshot(long Runs, long Failures, TimerSnapshot Response);

/// <summary>The figures of one process, or of several merged (<see cref="Merge"/>), and their JSON in the reference's
/// shape for <c>/system/stats/get</c>.</summary>
internal sealed record ProcessStats
{
    /// <summary>How many processes these figures cover.</summary>
    public int Processes { get; init; }

    public double Latency { get; init; }

    public long Busy { get; init; }

    public required ApiSnapshot Api { get; init; }

    public required PoolSnapshot Pool { get; init; }

    public required Dictionary<string, PoolSnapshot> Pools { get; init; }

    public required CacheSnapshot Cache { get; init; }

    public required PubSubSnapshot PubSub { get; init; }

    public required JobsSnapshot Jobs { get; init; }

    public required HistogramSnapshot Rss { get; init; }

    public required HistogramSnapshot Heap { get; init; }

    public required HistogramSnapshot LoadAvg { get; init; }

    /// <summary>Several processes as one machine: counts, rates and in-progress counts add up, histograms merge
    /// (<see cref="HistogramSnapshot.Merge"/>); the latency is the worst; memory samples merge (the distribution over
    /// processes), so read <c>rss.mean</c> times <c>processes</c> for the machine's total; the load average is the host's.</summary>
    public static ProcessStats Merge(IReadOnlyList<ProcessStats> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 1) return parts[0];
        PoolSnapshot MergePools(IEnumerable<PoolSnapshot> pools)
        {
            var list = pools.ToList();
            return new(HistogramSnapshot.Merge([.. list.Select(p => p.Queue)]), list.Sum(p => p.Count), TimerSnapshot.Merge(list.Select(p => p.Response)),
                list.Sum(p => p.Errors), list.Sum(p => p.Retries), list.Sum(p => p.CacheHits), list.Sum(p => p.CacheMisses));
        }
        return new ProcessStats
        {
            Processes = parts.Sum(p => p.Processes),
            Latency = parts.Max(p => p.Latency),
            Busy = parts.Sum(p => p.Busy),
            Api = new ApiSnapshot(HistogramSnapshot.Merge([.. parts.Select(p => p.Api.Queue)]), parts.Sum(p => p.Api.Count), TimerSnapshot.Merge(parts.Select(p => p.Api.Response)),
                parts.SelectMany(p => p.Api.Routes).GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => TimerSnapshot.Merge(g.Select(r => r.Value)), StringComparer.Ordinal)),
            Pool = MergePools(parts.Select(p => p.Pool)),
            Pools = parts.SelectMany(p => p.Pools).GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => MergePools(g.Select(r => r.Value)), StringComparer.Ordinal),
            Cache = new CacheSnapshot(parts.Sum(p => p.Cache.Hits), parts.Sum(p => p.Cache.Misses), TimerSnapshot.Merge(parts.Select(p => p.Cache.Response))),
            PubSub = new PubSubSnapshot(parts.Sum(p => p.PubSub.Sent), parts.Sum(p => p.PubSub.Received), parts.Sum(p => p.PubSub.Failed)),
            Jobs = new JobsSnapshot(parts.Sum(p => p.Jobs.Runs), parts.Sum(p => p.Jobs.Failures), TimerSnapshot.Merge(parts.Select(p => p.Jobs.Response))),
            Rss = HistogramSnapshot.Merge([.. parts.Select(p => p.Rss)]),
            Heap = HistogramSnapshot.Merge([.. parts.Select(p => p.Heap)]),
            LoadAvg = parts[0].LoadAvg,
        };
    }

    /// <summary>The reply of <c>/system/stats/get</c>: the reference's sections (<c>latency</c>, <c>busy</c>, <c>pool</c>
    /// with <c>queue</c>, <c>count</c>, <c>response</c> and <c>cache</c>, <c>api</c>, <c>rss</c>, <c>heap</c>,
    /// <c>loadavg</c>) and this platform's additions (<c>pools</c>, <c>routes</c> in <c>api</c>, <c>cache</c> as
    /// <c>memcache</c>..., <c>pubsub</c>, <c>jobs</c>, <c>processes</c>). Durations in ms.</summary>
    public Dictionary<string, object> ToJson()
    {
        static Dictionary<string, object> PoolJson(PoolSnapshot p, bool withCache)
        {
            var json = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["queue"] = p.Queue.ToJson(),
                ["count"] = p.Count,
                ["response"] = p.Response.ToJson(),
                ["errors"] = p.Errors,
                ["retries"] = p.Retries,
            };
            if (withCache) json["cache"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["hits"] = p.CacheHits, ["misses"] = p.CacheMisses };
            return json;
        }
        return new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["latency"] = Math.Round(Latency, 3),
            ["busy"] = Busy,
            ["processes"] = Processes,
            ["api"] = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["queue"] = Api.Queue.ToJson(),
                ["count"] = Api.Count,
                ["response"] = Api.Response.ToJson(),
                ["routes"] = Api.Routes.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => (object)r.Value.ToJson(), StringComparer.Ordinal),
            },
            ["pool"] = PoolJson(Pool, true),
            ["pools"] = Pools.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => (object)PoolJson(p.Value, false), StringComparer.Ordinal),
            ["cache"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["hits"] = Cache.Hits, ["misses"] = Cache.Misses, ["response"] = Cache.Response.ToJson() },
            ["pubsub"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["sent"] = PubSub.Sent, ["received"] = PubSub.Received, ["failed"] = PubSub.Failed },
            ["jobs"] = new Dictionary<string, object>(StringComparer.Ordinal) { ["runs"] = Jobs.Runs, ["failures"] = Jobs.Failures, ["response"] = Jobs.Response.ToJson() },
            ["rss"] = Rss.ToJson(),
            ["heap"] = Heap.ToJson(),
            ["loadavg"] = LoadAvg.ToJson(),
        };
    }
}
