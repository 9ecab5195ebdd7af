using Backend.Data;

namespace Backend.Auth;

/// <summary><c>bk_auth</c>, the credentials table the signature check reads: keyed by login, with the account id, the
/// secret (hidden) and the admin-only roles and access lists. It belongs to the Auth layer, which needs it; the accounts
/// API writes it through the facade.</summary>
internal static class AuthTables
{
    /// <summary>Credentials and roles.</summary>
    public const string Auth = "bk_auth";

    /// <summary>Longest login, secret or short text column accepted.</summary>
    public const int ShortText = 1024;

    /// <summary>Describes <c>bk_auth</c>.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Auth, t => t
            .Column("login", primary: true, maxLength: ShortText)
            .Column("id", maxLength: 128)
            .Column("secret", hidden: true, maxLength: ShortText)
            .Column("type", admin: true, maxLength: ShortText)
            .Column("acl_deny", admin: true, maxLength: ShortText)
            .Column("acl_allow", admin: true, maxLength: ShortText)
            .Column("expires", ColumnType.BigInt, admin: true)
            .Column("mtime", ColumnType.BigInt, now: true));
    }
}
