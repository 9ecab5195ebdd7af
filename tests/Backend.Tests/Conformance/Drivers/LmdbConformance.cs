namespace Backend.Tests.Conformance;

/// <summary>The suite on the embedded LMDB driver: every write (a batch, an UpdateAll/DelAll) is one LMDB write
/// transaction, so batches are atomic; there is no native query language (Search and Query are 501).</summary>
public sealed class LmdbConformance(LmdbTarget target) : DbConformanceTests<LmdbTarget>(target)
{
    /// <inheritdoc />
    protected override bool HasAtomicBatch => true;

    /// <inheritdoc />
    protected override bool SupportsLike => true;
}
