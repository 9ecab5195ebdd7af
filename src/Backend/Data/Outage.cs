namespace Backend.Data;

/// <summary>The state of one dependency that can go down (a database, the shared cache, the broker): failures are
/// counted, and only the failure that starts an outage and the success that ends it say so, so the caller logs once
/// per outage rather than once per request. Thread-safe. Lives in the lowest layer that every user of it sees.</summary>
internal sealed class Outage
{
    private int _failing;
    private long _count;

    /// <summary>Failures so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts a failure; true when it starts an outage (the caller logs it).</summary>
    public bool Failed()
    {
        Interlocked.Increment(ref _count);
        return Interlocked.Exchange(ref _failing, 1) == 0;
    }

    /// <summary>Notes a success; true when it ends an outage (the caller logs it). One read while nothing fails.</summary>
    public bool Recovered() => Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1;
}
