namespace Backend.Data;

/// <summary>Options of a database call, named as in the reference (the HTTP API passes them with a leading underscore).</summary>
public sealed class DbOptions
{
    /// <summary>Operator per column for conditions; columns not listed compare with <c>=</c>.</summary>
    public Dictionary<string, DbCompare> Ops => _ops ??= new(StringComparer.Ordinal);

    // Created on first use: most calls (every Get on the request path) never set an operator.
    private Dictionary<string, DbCompare>? _ops;

    /// <summary>The operator for a column (<c>=</c> unless set), without creating the map.</summary>
    public DbCompare OpFor(string column) => _ops is not null && _ops.TryGetValue(column, out var op) ? op : DbCompare.Eq;

    /// <summary>Columns to return; null returns all.</summary>
    public IReadOnlyList<string>? Select { get; set; }

    /// <summary>Maximum rows to return; null for no limit.</summary>
    public int? Count { get; set; }

    /// <summary>Opaque paging token from a previous result's <see cref="DbResult.NextToken"/>.</summary>
    public string? Start { get; set; }

    /// <summary>Descending order.</summary>
    public bool Desc { get; set; }

    /// <summary>Column to order by (the primary key breaks ties); null orders by the primary key.</summary>
    public string? Sort { get; set; }

    /// <summary>Pool name; null uses the table's or the default pool.</summary>
    public string? Pool { get; set; }

    /// <summary>On writes: drop the row from the read-through cache (<see cref="Db.GetCached"/>).</summary>
    public bool Cached { get; set; }

    /// <summary>Skip the registered row processors.</summary>
    public bool NoProcessRows { get; set; }

    /// <summary>A copy (the facade adjusts copies, never the caller's options).</summary>
    public DbOptions Clone()
    {
        var copy = (DbOptions)MemberwiseClone();
        copy._ops = _ops is null ? null : new Dictionary<string, DbCompare>(_ops, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>Sets an operator and returns the options, for chaining.</summary>
    public DbOptions Op(string column, DbCompare op)
    {
        Ops[column] = op;
        return this;
    }
}
