using Microsoft.Extensions.Configuration;

namespace Backend.Api.Status;

/// <summary>The status module: <c>-api-status-interval</c>. Bound from the parameter registry.</summary>
internal sealed class StatusOptions
{
    /// <summary>Milliseconds after a <c>/status/put</c> during which the account counts as online.</summary>
    [ConfigurationKeyName("api-status-interval")]
    public long IntervalMs { get; set; } = 900_000;
}
