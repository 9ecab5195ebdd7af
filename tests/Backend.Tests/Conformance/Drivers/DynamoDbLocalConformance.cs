namespace Backend.Tests.Conformance;

/// <summary>The suite on the DynamoDB driver against AWS DynamoDB Local (<c>scripts/servers start dynamodb-local</c>),
/// which, unlike dynalite, builds the global secondary indexes that <c>UpdateTable</c> adds (the Schema tests' indexes
/// added to existing tables are real and queried here) and has TransactWriteItems. The whole suite passes with the
/// same capabilities as on dynalite; <see cref="DbConformanceTests{TTarget}.HasAtomicBatch"/> stays false although
/// batches of up to 100 writes to distinct rows are transactions here: the suite's atomicity test writes one row
/// twice in a batch, which TransactWriteItems refuses (on AWS too), so the driver runs such a batch write by write
/// (src/Backend.DynamoDb/README.md, Batch). The transactional path is tested on DynamoDB Local in
/// Drivers/DynamoDb/DynamoDbLocalTransactionTests.</summary>
public sealed class DynamoDbLocalConformance(DynamoDbLocalTarget t) : DbConformanceTests<DynamoDbLocalTarget>(t)
{
    /// <inheritdoc />
    protected override bool HasFullDoubleRange => false;
}
