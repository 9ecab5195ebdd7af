using Backend.Data;

namespace Backend.Api.Connections;

/// <summary>The connections and references (<c>bk_connection</c>, <c>bk_reference</c>) tables. (Skeleton: filled in by the module's implementation.)</summary>
public static class ConnectionTables
{
    /// <summary>Describes the tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
    }
}
