using Backend.DynamoDb;

namespace Backend.Hosting;

/// <summary>Registers the DynamoDB driver on the app builder.</summary>
public static class DynamoDbBuilderExtensions
{
    /// <summary>Adds the <c>dynamodb</c> pool kind: configure it with <c>-db-dynamodb-pool URL</c> (see
    /// <see cref="DynamoDbDriverFactory"/>) and make it the default with <c>-db-pool dynamodb</c>, or route tables to it
    /// with <c>-db-dynamodb-pool-tables</c>.</summary>
    public static BackendApplicationBuilder AddDynamoDb(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDbDriver(new DynamoDbDriverFactory());
    }
}
