using Backend.Data;
using Backend.DynamoDb;

namespace Backend.Tests.Conformance;

/// <summary>DynamoDB through the dynalite emulator started by <c>scripts/servers start dynamodb</c>.</summary>
public sealed class DynamoDbTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "dynamodb";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory => new DynamoDbDriverFactory();
}
