using Backend.Data;

namespace Backend.Api.Counters;

/// <summary>The counters (<c>bk_counter</c>) tables. (Skeleton: filled in by the module's implementation.)</summary>
public static class CounterTables
{
    /// <summary>Describes the tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
    }
}
