using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Backend.Configuration;
using Backend.Files;

namespace Backend.S3;

/// <summary>The S3 settings of a store, from the JSON of <c>-api-images-s3-options</c> (or <c>-api-files-s3-options</c>),
/// with <c>-aws-key</c>, <c>-aws-secret</c>, <c>-aws-region</c> for what it does not say. Every member is optional:
/// <c>endpoint</c> (an S3-compatible server's URL: MinIO, s3rver), <c>forcePathStyle</c> (bool; true by default
/// with an endpoint), <c>region</c>, <c>key</c>, <c>secret</c>, <c>prefix</c> (key prefix, e.g. <c>images/</c>),
/// <c>partSize</c> (bytes, at least 5 MiB), <c>listPageSize</c> (1 to 1000).</summary>
internal sealed record S3StoreOptions
{
    public string? Endpoint { get; init; }
    public bool? ForcePathStyle { get; init; }
    public string? Region { get; init; }
    public string? Key { get; init; }
    public string? Secret { get; init; }
    public string? Prefix { get; init; }
    public int? PartSize { get; init; }
    public int? ListPageSize { get; init; }

    /// <summary>Reads the JSON of <paramref name="parameter"/> (null or empty: no options); a
    /// <see cref="ConfigException"/> naming the parameter for anything wrong.</summary>
    public static S3StoreOptions Parse(string parameter, string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new S3StoreOptions();
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json);
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"invalid value for -{parameter}: not JSON ({ex.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new ConfigException($"invalid value for -{parameter}: expected a JSON object");
        var o = new S3StoreOptions();
        foreach (var p in root.EnumerateObject())
        {
            string Text() => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
                : throw new ConfigException($"invalid value for -{parameter}: \"{p.Name}\" must be a string");
            int Int(int min, int max) => p.Value.TryGetInt32(out var n) && n >= min && n <= max ? n
                : throw new ConfigException($"invalid value for -{parameter}: \"{p.Name}\" must be an integer from {min} to {max}");
            o = p.Name switch
            {
                "endpoint" => o with { Endpoint = CheckEndpoint(parameter, Text()) },
                "forcePathStyle" => o with
                {
                    ForcePathStyle = p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean()
                        : throw new ConfigException($"invalid value for -{parameter}: \"forcePathStyle\" must be true or false"),
                },
                "region" => o with { Region = Text() },
                "key" => o with { Key = Text() },
                "secret" => o with { Secret = Text() },
                "prefix" => o with { Prefix = CheckPrefix(parameter, Text()) },
                "partSize" => o with { PartSize = Int(S3FileStore.MinPartSize, int.MaxValue / 2) },
                "listPageSize" => o with { ListPageSize = Int(1, 1000) },
                _ => throw new ConfigException($"invalid value for -{parameter}: unknown option \"{p.Name}\" (endpoint, forcePathStyle, region, key, secret, prefix, partSize, listPageSize)"),
            };
        }
        return o;
    }

    private static string CheckEndpoint(string parameter, string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? url
            : throw new ConfigException($"invalid value for -{parameter}: \"endpoint\" must be an http or https URL");

    private static string CheckPrefix(string parameter, string prefix)
    {
        if (prefix.Length == 0) return prefix;
        var path = prefix.TrimEnd('/');
        return FileStorePath.IsValid(path) ? path + "/"
            : throw new ConfigException($"invalid value for -{parameter}: \"prefix\" must be a relative path such as images/");
    }

    /// <summary>A client for these settings; the <c>-aws-*</c> values fill in key, secret and region.</summary>
    public AmazonS3Client CreateClient(string? awsKey, string? awsSecret, string? awsRegion)
    {
        var region = Region ?? awsRegion;
        var config = new AmazonS3Config();
        if (Endpoint is not null)
        {
            config.ServiceURL = Endpoint;
            config.ForcePathStyle = ForcePathStyle ?? true;
            config.AuthenticationRegion = region ?? "us-east-1";
            // Checksums only where S3 requires them: S3-compatible servers do not all know the newer trailers.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        else
        {
            if (region is not null) config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            if (ForcePathStyle is { } style) config.ForcePathStyle = style;
        }
        var key = Key ?? awsKey;
        var secret = Secret ?? awsSecret;
        // Without a key the SDK's default chain (environment, profile, instance role) finds the credentials.
        return !string.IsNullOrEmpty(key) && !string.IsNullOrEmpty(secret)
            ? new AmazonS3Client(new BasicAWSCredentials(key, secret), config)
            : new AmazonS3Client(config);
    }
}
