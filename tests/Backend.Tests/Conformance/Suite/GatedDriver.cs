using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Wraps a target's driver to hold a read after it has read from the database and before its result
/// returns, so a test can put a write exactly in that window (deterministic cache races). It also counts the
/// reads that reach the database.</summary>
public sealed class GatedDriver(IDbDriver inner) : IDbDriver
{
    private Hold? _hold;
    private int _gets;

    /// <summary>The wrapped driver's name (the pool name).</summary>
    public string Name => inner.Name;

    /// <summary>Gets that reached the database.</summary>
    public int Gets => Volatile.Read(ref _gets);

    /// <summary>Holds the next Get after it has read; <see cref="Hold.Reached"/> completes then, and the Get returns
    /// once <see cref="Hold.Release"/> is called.</summary>
    public Hold HoldNextGet() => _hold = new Hold();

    /// <inheritdoc />
    public Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken) => inner.InitTablesAsync(tables, cancellationToken);

    /// <inheritdoc />
    public async Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await inner.ExecuteAsync(request, cancellationToken);
        if (request.Operation != DbOperation.Get) return result;
        Interlocked.Increment(ref _gets);
        if (Interlocked.Exchange(ref _hold, null) is { } hold)
        {
            hold.Arrived.TrySetResult();
            await hold.Released.Task.WaitAsync(cancellationToken);
        }
        return result;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>One held read.</summary>
    public sealed class Hold
    {
        internal TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the held read has read its row.</summary>
        public Task Reached => Arrived.Task;

        /// <summary>Lets the held read return.</summary>
        public void Release() => Released.TrySetResult();
    }
}
