using Backend.Data;
using Backend.DynamoDb;

namespace Backend.Tests.Conformance;

/// <summary>DynamoDB through AWS's DynamoDB Local started by <c>scripts/servers start dynamodb-local</c>: the same
/// dynamodb pool and driver as <see cref="DynamoDbTarget"/>, on the server that really builds global secondary
/// indexes and has transactions (dynalite has neither).</summary>
public sealed class DynamoDbLocalTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "dynamodb";

    /// <inheritdoc />
    public override string Server => "dynamodb-local";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory => new DynamoDbDriverFactory();
}
