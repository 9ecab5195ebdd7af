using Microsoft.Extensions.Configuration;

namespace Backend.Api.Accounts;

/// <summary>The accounts module: <c>-api-subscribe-interval</c> and <c>-api-subscribe-timeout</c> of
/// <c>/account/subscribe</c>. Bound from the parameter registry.</summary>
internal sealed class AccountsOptions
{
    /// <summary>Milliseconds events are collected before they are delivered as one list.</summary>
    [ConfigurationKeyName("api-subscribe-interval")]
    public int SubscribeIntervalMs { get; set; } = 5000;

    /// <summary>Milliseconds a long poll waits for an event before answering an empty list.</summary>
    [ConfigurationKeyName("api-subscribe-timeout")]
    public int SubscribeTimeoutMs { get; set; } = 30000;
}
