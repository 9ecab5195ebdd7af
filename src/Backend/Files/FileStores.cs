using Backend.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Backend.Files;

/// <summary>The service keys of the two file stores, and their default registrations. The images store (message
/// images, icons) is the unkeyed <see cref="IFileStore"/> and the one keyed <see cref="Images"/>: both are one
/// store, whichever of the two an app (or <c>AddS3()</c>) replaced. The files store (the files API,
/// <c>/file/*</c>) is the one keyed <see cref="Files"/>. By default both are local: <c>-images-dir</c> and
/// <c>-files-dir</c>.</summary>
public static class FileStores
{
    /// <summary>The service key of the images store.</summary>
    public const string Images = "images";

    /// <summary>The service key of the files store.</summary>
    public const string Files = "files";

    /// <summary>Registers the default stores (<c>TryAdd</c>: a store the app or a provider registered before wins). A
    /// replacement of only the unkeyed store or only the keyed images store is seen through the other too.</summary>
    internal static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<FileStoreOptions>(config);
        var unkeyed = services.Any(d => d.ServiceType == typeof(IFileStore) && !d.IsKeyedService);
        var keyedImages = services.Any(d => d.ServiceType == typeof(IFileStore) && d.IsKeyedService && Equals(d.ServiceKey, Images));
        if (!unkeyed && keyedImages) services.AddSingleton(sp => sp.GetRequiredKeyedService<IFileStore>(Images));
        else services.TryAddSingleton<IFileStore, LocalFileStore>();
        services.TryAddKeyedSingleton(Images, (sp, _) => sp.GetRequiredService<IFileStore>());
        services.TryAddKeyedSingleton<IFileStore>(Files, (sp, _) => new LocalFileStore(sp.GetRequiredService<IOptions<FileStoreOptions>>().Value.FilesDir, create: false));
    }
}
