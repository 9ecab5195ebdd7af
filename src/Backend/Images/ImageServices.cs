using Backend.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Images;

/// <summary>Registration of the image processor, shared by the modules that take images (messages, icons).</summary>
internal static class ImageServices
{
    /// <summary>Binds <see cref="ImageOptions"/> and registers <see cref="VipsImageProcessor"/> as the
    /// <see cref="IImageProcessor"/> unless the app registered another first. Safe to call from several modules.</summary>
    public static void AddImageProcessor(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => d.ServiceType == typeof(ImageServicesMarker))) return;
        services.AddSingleton<ImageServicesMarker>();
        services.AddBackendOptions<ImageOptions>(config);
        services.TryAddSingleton<IImageProcessor, VipsImageProcessor>();
    }

    private sealed class ImageServicesMarker;
}
