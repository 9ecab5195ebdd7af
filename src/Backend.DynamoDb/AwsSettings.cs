namespace Backend.DynamoDb;

/// <summary>The AWS account settings of the reference's <c>aws</c> module: <c>-aws-key</c>, <c>-aws-secret</c>,
/// <c>-aws-region</c>. The DynamoDB pool uses them when its URL names no key or region; without either, the AWS SDK's
/// default credential chain and region apply.</summary>
/// <param name="Key">The access key id.</param>
/// <param name="Secret">The secret access key.</param>
/// <param name="Region">The region, e.g. us-east-1.</param>
public sealed record AwsSettings(string? Key, string? Secret, string? Region);
