using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backend.Configuration;

/// <summary>Registers a <see cref="BackendConfig"/> with Microsoft.Extensions.Configuration and binds typed options
/// from it.</summary>
public static class BackendConfigurationExtensions
{
    /// <summary>Adds the effective backend parameters, keyed by parameter name (<c>config["port"]</c>).</summary>
    public static IConfigurationBuilder AddBackendConfig(this IConfigurationBuilder builder, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new BackendConfigurationSource(config));
    }

    /// <summary>Binds an options class from the parameter registry: each property names its parameter with
    /// <see cref="ConfigurationKeyNameAttribute"/> (<c>[ConfigurationKeyName("api-session-age")]</c>). Values come from
    /// <see cref="BackendConfig.Configuration"/> only (not from other configuration sources such as unprefixed
    /// environment variables), validated by the registry, with the registry's defaults; <see cref="IOptionsMonitor{T}"/>
    /// sees <see cref="BackendConfig.Set"/>.</summary>
    public static OptionsBuilder<TOptions> AddBackendOptions<TOptions>(this IServiceCollection services, BackendConfig config)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        return services.AddOptions<TOptions>().Bind(config.Configuration);
    }
}
