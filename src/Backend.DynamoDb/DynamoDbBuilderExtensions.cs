using Backend.Configuration;
using Backend.DynamoDb;

namespace Backend.Hosting;

/// <summary>Registers the DynamoDB driver on the app builder.</summary>
public static class DynamoDbBuilderExtensions
{
    /// <summary>Adds the <c>dynamodb</c> pool kind: configure it with <c>-db-dynamodb-pool URL</c> (see
    /// <see cref="DynamoDbDriverFactory"/>) and make it the default with <c>-db-pool dynamodb</c>, or route tables to it
    /// with <c>-db-dynamodb-tables</c>. Registers the reference's <c>-aws-key</c>, <c>-aws-secret</c> and
    /// <c>-aws-region</c>, the credentials and region used when the pool URL gives none.</summary>
    public static BackendApplicationBuilder AddDynamoDb(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        const string S = "aws";
        builder.Parameters.Add(new("aws-key", ConfigType.String, null, "AWS access key id, used by the DynamoDB pool when its URL names no key", S));
        builder.Parameters.Add(new("aws-secret", ConfigType.String, null, "AWS secret access key, with -aws-key", S));
        builder.Parameters.Add(new("aws-region", ConfigType.String, null, "AWS region (e.g. us-east-1), used by the DynamoDB pool when its URL names none", S));
        // Read when the pool is created, after every source and the app's own Set calls.
        return builder.AddDbDriver("dynamodb", config => new DynamoDbDriverFactory(
            new AwsSettings(config.Get("aws-key"), config.Get("aws-secret"), config.Get("aws-region"))));
    }
}
