using Microsoft.Extensions.Configuration;

namespace Backend.Configuration;

/// <summary>
/// Serves the effective values of a <see cref="BackendConfig"/> as <c>config["api-port"]</c>; List parameters also
/// as <c>config["api-allow-path:0"]</c>... so they bind to arrays. Reloads when the config is Set or re-validated.
/// </summary>
internal sealed class BackendConfigurationProvider : ConfigurationProvider
{
    private readonly BackendConfig _config;

    /// <summary>Creates a provider over <paramref name="config"/>.</summary>
    public BackendConfigurationProvider(BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _config.Changed += Reload;
    }

    /// <inheritdoc />
    public override void Load() => Data = _config.ToDictionary();

    private void Reload()
    {
        Load();
        OnReload();
    }
}
