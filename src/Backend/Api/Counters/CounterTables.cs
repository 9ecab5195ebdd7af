using Backend.Data;

namespace Backend.Api.Counters;

/// <summary>The counters table <c>bk_counter</c>: one row per account. <c>TYPE0</c>/<c>TYPE1</c> columns marked
/// autoincr are kept by the connections API (how many I liked / how many liked me); apps add more counters by
/// describing the table again. Public columns are what other accounts may see (and bump when not autoincr).</summary>
internal static class CounterTables
{
    /// <summary>The table name.</summary>
    public const string Counter = "bk_counter";

    /// <summary>Describes the table.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Counter, t => t
            .Column("id", primary: true, pub: true, maxLength: 128)
            .Column("ping", ColumnType.Counter, pub: true)
            .Column("like0", ColumnType.Counter, autoincr: true)
            .Column("like1", ColumnType.Counter, pub: true, autoincr: true)
            .Column("follow0", ColumnType.Counter, autoincr: true)
            .Column("follow1", ColumnType.Counter, pub: true, autoincr: true));
    }
}
