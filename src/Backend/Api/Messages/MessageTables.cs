using Backend.Data;

namespace Backend.Api.Messages;

/// <summary>The messages (<c>bk_message</c>, <c>bk_archive</c>, <c>bk_sent</c>) tables. (Skeleton: filled in by the module's implementation.)</summary>
public static class MessageTables
{
    /// <summary>Describes the tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
    }
}
