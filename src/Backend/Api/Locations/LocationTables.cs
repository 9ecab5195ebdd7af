using Backend.Data;

namespace Backend.Api.Locations;

/// <summary>The locations (<c>bk_location</c>) tables. (Skeleton: filled in by the module's implementation.)</summary>
public static class LocationTables
{
    /// <summary>Describes the tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
    }
}
