using Backend.Data;

namespace Backend.Api.Status;

/// <summary>The status / presence (<c>bk_status</c>) tables. (Skeleton: filled in by the module's implementation.)</summary>
public static class StatusTables
{
    /// <summary>Describes the tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
    }
}
