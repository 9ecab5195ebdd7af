using Microsoft.Extensions.Configuration;

namespace Backend.Configuration;

/// <summary>Registers a <see cref="BackendConfig"/> with Microsoft.Extensions.Configuration.</summary>
public static class BackendConfigurationExtensions
{
    /// <summary>Adds the effective backend parameters, keyed by parameter name (<c>config["api-port"]</c>).</summary>
    public static IConfigurationBuilder AddBackendConfig(this IConfigurationBuilder builder, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new BackendConfigurationSource(config));
    }
}
