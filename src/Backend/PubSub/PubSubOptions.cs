using Microsoft.Extensions.Configuration;

namespace Backend.PubSub;

/// <summary>Pub/sub: <c>-msg-type</c>, bound from the parameter registry.</summary>
internal sealed class PubSubOptions
{
    /// <summary>The kind of <see cref="IPubSub"/>: <c>local</c> (this process, the default) or a kind a provider
    /// registered.</summary>
    [ConfigurationKeyName("msg-type")]
    public string Type { get; set; } = "local";
}
