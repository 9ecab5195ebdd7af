using Microsoft.Extensions.Configuration;

namespace Backend.Http.Overload;

/// <summary>The busy check and the request rate limits (docs/operations.md, "Limits"). Bound from the parameter
/// registry.</summary>
internal sealed class OverloadOptions
{
    /// <summary>Longest wait of new work for a thread-pool thread, in ms, before new requests are refused with 503;
    /// 0 turns the check off.</summary>
    [ConfigurationKeyName("api-busy-latency")]
    public int BusyLatencyMs { get; set; } = 1000;

    /// <summary>Most requests in progress at once; one more is refused with 503; 0 is no limit.</summary>
    [ConfigurationKeyName("api-max-requests")]
    public long MaxRequests { get; set; }

    /// <summary>Requests per second one client address may make (0: none of its own).</summary>
    [ConfigurationKeyName("api-rlimits-ip-rate")]
    public int IpRate { get; set; }

    /// <summary>The burst of one client address (0: the rate).</summary>
    [ConfigurationKeyName("api-rlimits-ip-max")]
    public int IpMax { get; set; }

    /// <summary>Per-path rates by client address: <c>REGEX=RATE</c> or <c>REGEX=RATE/MAX</c>.</summary>
    [ConfigurationKeyName("api-rlimits-ip-path")]
    public IList<string> IpPaths { get; set; } = [];

    /// <summary>Requests per second one account may make (0: none of its own).</summary>
    [ConfigurationKeyName("api-rlimits-id-rate")]
    public int IdRate { get; set; }

    /// <summary>The burst of one account (0: the rate).</summary>
    [ConfigurationKeyName("api-rlimits-id-max")]
    public int IdMax { get; set; }

    /// <summary>Per-path rates by account: <c>REGEX=RATE</c> or <c>REGEX=RATE/MAX</c>.</summary>
    [ConfigurationKeyName("api-rlimits-id-path")]
    public IList<string> IdPaths { get; set; } = [];
}
