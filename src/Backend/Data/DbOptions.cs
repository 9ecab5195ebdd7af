namespace Backend.Data;

/// <summary>Options of a database call, named as in the reference (the HTTP API passes them with a leading underscore).</summary>
public sealed class DbOptions
{
    /// <summary>The options of a call made without any: shared and read-only (setting anything on it throws), so a
    /// call that passes none (every Get on the request path) does not allocate a set.</summary>
    internal static DbOptions None { get; } = new() { _frozen = true };

    private bool _frozen;

    /// <summary>Operator per column for conditions; columns not listed compare with <c>=</c>.</summary>
    public Dictionary<string, DbCompare> Ops => _frozen ? throw Frozen() : _ops ??= new(StringComparer.Ordinal);

    // Created on first use: most calls (every Get on the request path) never set an operator.
    private Dictionary<string, DbCompare>? _ops;

    /// <summary>The operator for a column (<c>=</c> unless set), without creating the map.</summary>
    public DbCompare OpFor(string column) => _ops is not null && _ops.TryGetValue(column, out var op) ? op : DbCompare.Eq;

    /// <summary>Columns to return; null returns all.</summary>
    public IReadOnlyList<string>? Select { get => _select; set => _select = Check(value); }

    private IReadOnlyList<string>? _select;

    /// <summary>Maximum rows to return; null for no limit.</summary>
    public int? Count { get => _count; set => _count = Check(value); }

    private int? _count;

    /// <summary>Opaque paging token from a previous result's <see cref="DbResult.NextToken"/>.</summary>
    public string? Start { get => _start; set => _start = Check(value); }

    private string? _start;

    /// <summary>Descending order.</summary>
    public bool Desc { get => _desc; set => _desc = Check(value); }

    private bool _desc;

    /// <summary>Column to order by (the primary key breaks ties); null orders by the primary key.</summary>
    public string? Sort { get => _sort; set => _sort = Check(value); }

    private string? _sort;

    /// <summary>Pool name; null uses the table's or the default pool.</summary>
    public string? Pool { get => _pool; set => _pool = Check(value); }

    private string? _pool;

    /// <summary>On writes: drop the row from the read-through cache (<c>Db.GetCachedAsync</c>).</summary>
    public bool Cached { get => _cached; set => _cached = Check(value); }

    private bool _cached;

    /// <summary>On Incr: change the row only when it exists (<see cref="DbResult.Affected"/> is 0 and nothing is
    /// created when it does not), atomically on every driver, so an Incr racing a Del never brings the row back.</summary>
    public bool NoUpsert { get => _noUpsert; set => _noUpsert = Check(value); }

    private bool _noUpsert;

    /// <summary>Skip the registered row processors.</summary>
    public bool NoProcessRows { get => _noProcessRows; set => _noProcessRows = Check(value); }

    private bool _noProcessRows;

    /// <summary>A copy (the facade adjusts copies, never the caller's options); the copy of <see cref="None"/> can be
    /// changed.</summary>
    public DbOptions Clone()
    {
        var copy = (DbOptions)MemberwiseClone();
        copy._frozen = false;
        copy._ops = _ops is null ? null : new Dictionary<string, DbCompare>(_ops, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>Sets an operator and returns the options, for chaining.</summary>
    public DbOptions Op(string column, DbCompare op)
    {
        Ops[column] = op;
        return this;
    }

    private T Check<T>(T value) => _frozen ? throw Frozen() : value;

    private static InvalidOperationException Frozen() =>
        new("these are the shared options of a call made without options and cannot be changed; pass your own DbOptions (or Clone() these)");
}
