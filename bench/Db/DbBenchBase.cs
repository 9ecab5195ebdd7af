using BenchmarkDotNet.Attributes;
using Backend.Data;

namespace Backend.Benchmarks;

/// <summary>The three operations, each as a pair: <c>Raw*</c> (the baseline: the driver's own client doing the same
/// request on the same table) and <c>Facade*</c> (<see cref="Db"/> over the driver). BenchmarkDotNet's Ratio column is
/// facade / raw within one category (Get, Put, Select20) of one run.
/// <para>Both sides walk the same key sequence (a different row each call, spread over the table) and both return
/// every column of every row read, typed (string, long, double, bool): the facade as <see cref="DbRow"/>s, the raw
/// side as <c>Dictionary&lt;string, object?&gt;</c>s.</para></summary>
public abstract class DbBenchBase
{
    private long _n;

    /// <summary>The facade.</summary>
    protected Db Db { get; private set; } = null!;

    /// <summary>Opens the facade and the raw client, seeds the table once per process, and checks that both sides
    /// read the same rows (so the pairs really do the same work).</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        Db = await OpenFacadeAsync();
        await OpenRawAsync();
        if (!SeededKinds.Contains(GetType()))
        {
            for (var id = 0L; id < BenchTable.Rows; id++) await Db.PutAsync(BenchTable.Name, BenchTable.Row(id, 0));
            SeededKinds.Add(GetType());
        }
        await VerifyAsync();
        _n = 0;
    }

    private static readonly HashSet<Type> SeededKinds = [];

    /// <summary>Closes both.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await CloseRawAsync();
        await Db.Pools.DisposeAsync();
    }

    /// <summary>The next row id: a stride through the table so consecutive calls hit different rows (and pages).</summary>
    protected long NextId() => Interlocked.Increment(ref _n) * 7919 % BenchTable.Rows;

    /// <summary>The group of the next Select.</summary>
    protected string NextGroup() => BenchTable.GroupNames[Interlocked.Increment(ref _n) * 31 % BenchTable.Groups];

    // ---- Get by primary key ----

    /// <summary>The raw client reads one row by key.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Get")]
    public ValueTask<Dictionary<string, object?>?> RawGet()
    {
        var id = NextId();
        return RawGetAsync(BenchTable.GroupNames[id / BenchTable.GroupSize], id);
    }

    /// <summary><c>Db.GetAsync</c> of one row by key, with the key passed as a DbRow (as the accounts API does).</summary>
    [Benchmark, BenchmarkCategory("Get")]
    public ValueTask<DbRow?> FacadeGet()
    {
        var id = NextId();
        return Db.GetAsync(BenchTable.Name, new DbRow { ["grp"] = BenchTable.GroupNames[id / BenchTable.GroupSize], ["id"] = id });
    }

    // ---- Put of one whole row (insert or replace; the row exists, so it is replaced) ----

    /// <summary>The raw client writes one whole row.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Put")]
    public ValueTask<int> RawPut()
    {
        var id = NextId();
        return RawPutAsync(id, BenchTable.Values(id, _n));
    }

    /// <summary><see cref="Db.Put"/> of one whole row built as a DbRow.</summary>
    [Benchmark, BenchmarkCategory("Put")]
    public Task<DbResult> FacadePut()
    {
        var id = NextId();
        return Db.PutAsync(BenchTable.Name, BenchTable.Row(id, _n));
    }

    // ---- Select: the 20 rows of one group, in key order ----

    /// <summary>The raw client reads the 20 rows of one group, ordered by key.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Select20")]
    public ValueTask<List<Dictionary<string, object?>>> RawSelect() => RawSelectAsync(NextGroup(), BenchTable.GroupSize);

    /// <summary><see cref="Db.Select"/> with <c>grp = g</c> and <c>Count = 20</c>.</summary>
    [Benchmark, BenchmarkCategory("Select20")]
    public Task<DbResult> FacadeSelect() =>
        Db.SelectAsync(BenchTable.Name, new DbRow { ["grp"] = NextGroup() }, new DbOptions { Count = BenchTable.GroupSize });

    // ---- the raw side, per driver ----

    /// <summary>Creates the facade over the driver (through the driver's factory).</summary>
    protected abstract Task<Db> OpenFacadeAsync();

    /// <summary>Creates the raw client (same server, same pool settings).</summary>
    protected abstract Task OpenRawAsync();

    /// <summary>Disposes the raw client.</summary>
    protected abstract ValueTask CloseRawAsync();

    /// <summary>One row by key, or null.</summary>
    protected abstract ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id);

    /// <summary>Insert or replace one whole row; returns the affected count.</summary>
    protected abstract ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v);

    /// <summary>The first <paramref name="count"/> rows of a group in key order.</summary>
    protected abstract ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count);

    /// <summary>Runs each pair once and compares: same rows, same columns, same typed values.</summary>
    protected virtual async Task VerifyAsync()
    {
        var name = GetType().Name;
        for (var id = 0L; id < BenchTable.Rows; id += 137)
        {
            var grp = BenchTable.GroupNames[id / BenchTable.GroupSize];
            var facade = await Db.GetAsync(BenchTable.Name, new DbRow { ["grp"] = grp, ["id"] = id }) ?? throw new InvalidOperationException($"{name}: facade Get found no row {id}");
            var raw = await RawGetAsync(grp, id) ?? throw new InvalidOperationException($"{name}: raw Get found no row {id}");
            Same(name + " Get", facade, raw);
        }
        if (await RawGetAsync("nope", 1) is not null) throw new InvalidOperationException($"{name}: raw Get of a missing row returned one");

        // A raw Put must be read back identically by the facade, and the other way round.
        var v = BenchTable.Values(3, 42);
        if (await RawPutAsync(3, v) < 1) throw new InvalidOperationException($"{name}: raw Put affected nothing");
        Same(name + " raw Put", (await Db.GetAsync(BenchTable.Name, new DbRow { ["grp"] = "g000", ["id"] = 3L }))!, BenchTable.Row(3, 42));
        await Db.PutAsync(BenchTable.Name, BenchTable.Row(3, 43));
        Same(name + " facade Put", BenchTable.Row(3, 43), (await RawGetAsync("g000", 3))!);

        foreach (var grp in new[] { BenchTable.GroupNames[0], BenchTable.GroupNames[17], BenchTable.GroupNames[^1] })
        {
            var facade = await Db.SelectAsync(BenchTable.Name, new DbRow { ["grp"] = grp }, new DbOptions { Count = BenchTable.GroupSize });
            var raw = await RawSelectAsync(grp, BenchTable.GroupSize);
            if (facade.Rows.Count != BenchTable.GroupSize || raw.Count != BenchTable.GroupSize)
                throw new InvalidOperationException($"{name}: Select of {grp}: facade {facade.Rows.Count} rows, raw {raw.Count}, expected {BenchTable.GroupSize}");
            if (facade.NextToken.Length != 0) throw new InvalidOperationException($"{name}: Select of {grp} has a next page");
            for (var i = 0; i < raw.Count; i++) Same($"{name} Select {grp} row {i}", facade.Rows[i], raw[i]);
        }
    }

    private static void Same(string what, Dictionary<string, object?> a, Dictionary<string, object?> b)
    {
        if (a.Count != BenchTable.Columns.Length || b.Count != BenchTable.Columns.Length)
            throw new InvalidOperationException($"{what}: {a.Count} vs {b.Count} columns, expected {BenchTable.Columns.Length}");
        foreach (var c in BenchTable.Columns)
        {
            var x = a.GetValueOrDefault(c);
            var y = b.GetValueOrDefault(c);
            if (x is null || y is null || x.GetType() != y.GetType() || !x.Equals(y))
                throw new InvalidOperationException($"{what}: column {c}: {x} ({x?.GetType().Name}) vs {y} ({y?.GetType().Name})");
        }
    }
}
