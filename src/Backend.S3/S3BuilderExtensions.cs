using Backend.Configuration;
using Backend.Files;
using Backend.S3;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Hosting;

/// <summary>Registers the S3 file stores on the app builder.</summary>
public static class S3BuilderExtensions
{
    /// <summary>The service key of the images store (the unkeyed <see cref="IFileStore"/> is the same store).</summary>
    public const string ImagesKey = FileStores.Images;

    /// <summary>The service key of the files store.</summary>
    public const string FilesKey = FileStores.Files;

    /// <summary>Registers the reference's <c>-api-images-s3 BUCKET</c>, <c>-api-images-s3-options JSON</c> and
    /// <c>-api-files-s3 BUCKET</c> (and <c>-api-files-s3-options</c>, this project's), and the <c>-aws-key</c>,
    /// <c>-aws-secret</c>, <c>-aws-region</c> of the reference's aws module unless another provider did. When
    /// <c>-api-images-s3</c> is set, the images store (the <see cref="IFileStore"/> keyed <see cref="ImagesKey"/>, and
    /// the unkeyed one) is an <see cref="S3FileStore"/> on that bucket; when <c>-api-files-s3</c> is set, the store
    /// keyed <see cref="FilesKey"/>. Otherwise the local stores stay. These registrations are made now, so they win over
    /// the core's defaults, which <c>Build()</c> adds only for what is not registered yet. The settings are read here, from the loaded
    /// configuration (command line, environment, config files); a bad option is a <see cref="ConfigException"/>.</summary>
    public static BackendApplicationBuilder AddS3(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "s3";
        var parameters = builder.Parameters;
        parameters.Add(new("api-images-s3", ConfigType.String, null, "S3 bucket for uploaded images (message images, icons) instead of -images-dir (needs AddS3: bkcs has it)", S));
        parameters.Add(new("api-images-s3-options", ConfigType.String, null, "JSON object of S3 settings for the -api-images-s3 (and -api-files-s3) bucket: endpoint, forcePathStyle, region, key, secret, prefix, partSize, listPageSize (src/Backend.S3/README.md)", S));
        parameters.Add(new("api-files-s3", ConfigType.String, null, "S3 bucket for uploaded files instead of -files-dir (needs AddS3: bkcs has it)", S));
        parameters.Add(new("api-files-s3-options", ConfigType.String, null, "JSON object of S3 settings for the -api-files-s3 bucket, as -api-images-s3-options (which applies when this is not set)", S));
        // The aws module's parameters are shared with the DynamoDB provider: registered once, by whichever comes first.
        const string A = "aws";
        if (!parameters.TryGet("aws-key", out _)) parameters.Add(new("aws-key", ConfigType.String, null, "AWS access key id, used by the AWS providers (DynamoDB pool, S3 stores) when their settings name no key", A));
        if (!parameters.TryGet("aws-secret", out _)) parameters.Add(new("aws-secret", ConfigType.String, null, "AWS secret access key, with -aws-key", A));
        if (!parameters.TryGet("aws-region", out _)) parameters.Add(new("aws-region", ConfigType.String, null, "AWS region (e.g. us-east-1), used by the AWS providers when their settings name none", A));
        var config = builder.Config;
        config.Validate();
        var imagesOptions = S3StoreOptions.Parse("api-images-s3-options", config.Get("api-images-s3-options"));
        if (config.Get("api-images-s3") is { Length: > 0 } imagesBucket)
        {
            var store = Factory(config, imagesBucket, imagesOptions, "api-images-s3-options");
            builder.Services.AddKeyedSingleton<IFileStore>(ImagesKey, (_, _) => store());
            builder.Services.AddSingleton<IFileStore>(sp => sp.GetRequiredKeyedService<IFileStore>(ImagesKey));
        }
        if (config.Get("api-files-s3") is { Length: > 0 } filesBucket)
        {
            var own = config.Get("api-files-s3-options");
            var options = own is { Length: > 0 } ? S3StoreOptions.Parse("api-files-s3-options", own) : imagesOptions;
            var store = Factory(config, filesBucket, options, own is { Length: > 0 } ? "api-files-s3-options" : "api-images-s3-options");
            builder.Services.AddKeyedSingleton<IFileStore>(FilesKey, (_, _) => store());
        }
        return builder;
    }

    // Checked now (a ConfigException from AddS3); the client is made when the store is first needed.
    private static Func<S3FileStore> Factory(BackendConfig config, string bucket, S3StoreOptions options, string optionsName)
    {
        var key = config.Get("aws-key");
        var secret = config.Get("aws-secret");
        var region = config.Get("aws-region");
        if (string.IsNullOrEmpty(options.Key ?? key) != string.IsNullOrEmpty(options.Secret ?? secret))
            throw new ConfigException($"-{optionsName} / -aws-key and -aws-secret: an S3 key needs its secret and a secret its key");
        return () => new S3FileStore(options.CreateClient(key, secret, region), bucket, options.Prefix, ownsClient: true)
        {
            PartSize = options.PartSize ?? S3FileStore.DefaultPartSize,
            ListPageSize = options.ListPageSize ?? S3FileStore.MaxListPageSize,
        };
    }
}
