using Backend.Api.Accounts;
using Backend.Data;

namespace Backend.Api.Status;

/// <summary>The status / presence table: one row per account with its last status and when it was put.</summary>
internal static class StatusTables
{
    /// <summary>Status per account.</summary>
    public const string Status = "bk_status";

    /// <summary>Describes the table. Every column is public: presence is meant to be seen by other accounts.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Status, t => t
            .Column("id", primary: true, pub: true, maxLength: 128)
            .Column("status", pub: true, maxLength: AccountTables.ShortText)
            .Column("mtime", ColumnType.BigInt, now: true, pub: true));
    }
}
