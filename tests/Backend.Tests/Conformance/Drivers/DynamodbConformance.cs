namespace Backend.Tests.Conformance;

/// <summary>The suite on the DynamoDB driver.</summary>
public sealed class DynamodbConformance(DynamodbTarget t) : DbConformanceTests<DynamodbTarget>(t)
{
    /// <inheritdoc />
    protected override bool HasFullDoubleRange => false;
}
