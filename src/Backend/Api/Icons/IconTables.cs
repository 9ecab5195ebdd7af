using Backend.Data;

namespace Backend.Api.Icons;

/// <summary>The icons table <c>bk_icon</c>: one row per stored icon, keyed by its owner (<c>id</c>) and
/// <c>type</c> = <c>PREFIX:TYPE</c> (account icons: prefix <c>account</c>, type <c>0</c>-<c>9</c> or <c>a</c>-<c>z</c>), so
/// one account's icons of a prefix are one range of keys on every driver. The file's store path (<c>icon</c>) is an
/// admin column: the endpoints serve whatever file a row names, so only they and admins write it. <c>acl_allow</c> is
/// private (its owner's business), the rest follows the reference. The icons module also keeps a summary of each
/// account's icons in <c>bk_account</c> (<see cref="AccountIconSummary"/>).</summary>
internal static class IconTables
{
    /// <summary>The icons table.</summary>
    public const string Icon = "bk_icon";

    /// <summary>The prefix of account icons.</summary>
    public const string AccountPrefix = "account";

    /// <summary>Describes the table.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Icon, t => t
            .Column("id", primary: true, pub: true, maxLength: 128)
            .Column("type", primary: true, pub: true, maxLength: IconNames.MaxPrefix + 1 + IconNames.MaxType)
            .Column("prefix", pub: true, maxLength: IconNames.MaxPrefix)
            .Column("acl_allow", maxLength: IconAccess.MaxAclLength)
            .Column("descr", pub: true, maxLength: 1024)
            .Column("latitude", ColumnType.Real, pub: true)
            .Column("longitude", ColumnType.Real, pub: true)
            .Column("ext", pub: true, maxLength: 8)
            .Column("width", ColumnType.Int, pub: true)
            .Column("height", ColumnType.Int, pub: true)
            .Column("mtime", ColumnType.BigInt, pub: true)
            .Column("icon", admin: true, maxLength: 512));
        AccountIconSummary.Describe(tables);
    }
}
