using Microsoft.Extensions.Configuration;

namespace Backend.Configuration;

/// <summary>An <see cref="IConfigurationSource"/> exposing a <see cref="BackendConfig"/> under its parameter names.</summary>
/// <param name="config">The loaded backend configuration.</param>
internal sealed class BackendConfigurationSource(BackendConfig config) : IConfigurationSource
{
    /// <summary>The configuration this source exposes.</summary>
    public BackendConfig Config { get; } = config ?? throw new ArgumentNullException(nameof(config));

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new BackendConfigurationProvider(Config);
}
