using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.DynamoDb;

/// <summary>The DynamoDB pool (<c>-db-dynamodb-pool</c>): either an endpoint URL
/// <c>http://host:port?region=R&amp;key=K&amp;secret=S</c> (DynamoDB Local, dynalite, or a regional endpoint; with
/// <c>token=</c> for session credentials; without key/secret the SDK's default credentials are used), or
/// <c>default</c> (optionally <c>default?region=R</c>) for the AWS SDK's default region and credential chain
/// (environment, profile, instance/container role). Connections time out after <c>-db-connect-timeout</c> ms, one attempt
/// of a request after five times that; failed and throttled attempts are retried with backoff (SDK standard retry
/// mode: 4 attempts for DynamoDB), then the call fails with a 503. A whole call (every request and retry it makes) is
/// bounded by <c>-db-dynamodb-timeout</c> (else <c>-db-timeout</c>): past it, a 504.</summary>
/// <param name="aws">The account-wide AWS settings (<c>-aws-key</c>, <c>-aws-secret</c>, <c>-aws-region</c>), used where the
/// pool URL gives none; null for none.</param>
public sealed class DynamoDbDriverFactory(AwsSettings? aws = null) : IDbDriverFactory
{
    /// <inheritdoc />
    public string Kind => "dynamodb";

    /// <inheritdoc />
    public IDbDriver Create(DbPoolSettings settings, ILoggerFactory logs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logs);
        var pool = settings;
        var connectTimeout = pool.ConnectTimeoutMs;
        var url = WithDefaults(Parse(pool.Url), aws);
        var clientConfig = new AmazonDynamoDBConfig
        {
            RetryMode = RequestRetryMode.Standard,
            ConnectTimeout = TimeSpan.FromMilliseconds(connectTimeout),
            // One attempt of a request (DynamoDB answers in milliseconds; a 1 MB scan page in well under a second).
            Timeout = TimeSpan.FromMilliseconds(Math.Max(5L * connectTimeout, 1000)),
            MaxConnectionsPerServer = pool.MaxConnections,
        };
        if (url.Endpoint is not null)
        {
            clientConfig.ServiceURL = url.Endpoint;
            clientConfig.AuthenticationRegion = url.Region ?? "us-east-1";
        }
        else if (url.Region is not null)
        {
            clientConfig.RegionEndpoint = RegionEndpoint.GetBySystemName(url.Region);
        }
        AmazonDynamoDBClient client;
        if (url.Key is not null)
        {
            AWSCredentials credentials = url.Token is null
                ? new BasicAWSCredentials(url.Key, url.Secret)
                : new SessionAWSCredentials(url.Key, url.Secret, url.Token);
            client = new AmazonDynamoDBClient(credentials, clientConfig);
        }
        else
        {
            client = new AmazonDynamoDBClient(clientConfig);
        }
        return new DynamoDbDriver(Kind, client, pool.TimeoutMs, logs.CreateLogger<DynamoDbDriver>());
    }

    /// <summary>The URL's settings, with the key, secret and region of <paramref name="aws"/> where the URL gives none
    /// (a key and secret come as a pair: a URL with its own key keeps its own secret).</summary>
    internal static Settings WithDefaults(Settings settings, AwsSettings? aws)
    {
        if (aws is null) return settings;
        var withKey = settings.Key is null && aws.Key is { Length: > 0 } && aws.Secret is { Length: > 0 }
            ? settings with { Key = aws.Key, Secret = aws.Secret }
            : settings;
        return withKey.Region is null && aws.Region is { Length: > 0 } ? withKey with { Region = aws.Region } : withKey;
    }

    /// <summary>The parts of a pool URL.</summary>
    internal sealed record Settings(string? Endpoint, string? Region, string? Key, string? Secret, string? Token);

    /// <summary>Parses a pool URL; throws <see cref="ConfigException"/> when malformed.</summary>
    internal static Settings Parse(string url)
    {
        static ConfigException Bad(string url, string why) => new($"invalid value for -db-dynamodb-pool: \"{url}\": {why}");
        ArgumentNullException.ThrowIfNull(url);
        var text = url.Trim();
        var q = text.IndexOf('?', StringComparison.Ordinal);
        var head = q < 0 ? text : text[..q];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (q >= 0)
        {
            foreach (var part in text[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0) throw Bad(url, $"parameter '{part}' is not name=value");
                var name = Uri.UnescapeDataString(part[..eq]);
                if (name is not ("region" or "key" or "secret" or "token")) throw Bad(url, $"unknown parameter '{name}' (region, key, secret, token)");
                query[name] = Uri.UnescapeDataString(part[(eq + 1)..]);
            }
        }
        var region = query.GetValueOrDefault("region") is { Length: > 0 } r ? r : null;
        var key = query.GetValueOrDefault("key") is { Length: > 0 } k ? k : null;
        var secret = query.GetValueOrDefault("secret") is { Length: > 0 } s ? s : null;
        var token = query.GetValueOrDefault("token") is { Length: > 0 } tk ? tk : null;
        if (key is null != secret is null) throw Bad(url, "key and secret go together");
        if (token is not null && key is null) throw Bad(url, "token needs key and secret");
        if (region is not null && !System.Text.RegularExpressions.Regex.IsMatch(region, "^[a-z0-9-]+$")) throw Bad(url, $"invalid region '{region}'");
        if (head.Equals("default", StringComparison.OrdinalIgnoreCase)) return new Settings(null, region, key, secret, token);
        if (!Uri.TryCreate(head, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw Bad(url, "expected http(s)://host:port?region=R&key=K&secret=S or default");
        return new Settings(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), region, key, secret, token);
    }
}
