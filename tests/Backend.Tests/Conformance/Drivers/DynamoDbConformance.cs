namespace Backend.Tests.Conformance;

/// <summary>The suite on the DynamoDB driver.</summary>
public sealed class DynamoDbConformance(DynamoDbTarget t) : DbConformanceTests<DynamoDbTarget>(t)
{
    /// <inheritdoc />
    protected override bool HasFullDoubleRange => false;
}
