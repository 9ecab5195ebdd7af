using Backend.Auth;
using Backend.Data;

namespace Backend.Api;

/// <summary>The account tables as the reference defines them, shared by every API module. <c>bk_auth</c> is keyed by login (looked up on every
/// signed request); <c>bk_account</c> by id holds the profile. Apps extend either by describing it again.</summary>
internal static class AccountTables
{
    /// <summary>Credentials and roles (<see cref="AuthTables.Auth"/>, described by the Auth layer).</summary>
    public const string Auth = AuthTables.Auth;

    /// <summary>Profiles.</summary>
    public const string Account = "bk_account";

    /// <summary>Longest login, secret or short text column accepted.</summary>
    public const int ShortText = AuthTables.ShortText;

    /// <summary>Describes both tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        AuthTables.Describe(tables);
        tables.Add(Account, t => t
            .Column("id", primary: true, pub: true, maxLength: 128)
            .Column("login", @readonly: true, maxLength: ShortText)
            .Column("name", maxLength: ShortText)
            .Column("alias", pub: true, maxLength: ShortText)
            .Column("status", maxLength: ShortText)
            .Column("type", admin: true, maxLength: ShortText)
            .Column("email", maxLength: ShortText)
            .Column("phone", maxLength: ShortText)
            .Column("website", maxLength: ShortText)
            .Column("birthday", maxLength: ShortText)
            .Column("gender", maxLength: ShortText)
            .Column("address", maxLength: ShortText)
            .Column("city", maxLength: ShortText)
            .Column("state", maxLength: ShortText)
            .Column("zipcode", maxLength: ShortText)
            .Column("country", maxLength: ShortText)
            .Column("latitude", ColumnType.Real, location: true)
            .Column("longitude", ColumnType.Real, location: true)
            .Column("geohash", location: true, maxLength: 32)
            .Column("location", location: true, maxLength: ShortText)
            .Column("ltime", ColumnType.BigInt, location: true)
            .Column("ctime", ColumnType.BigInt, @readonly: true)
            .Column("mtime", ColumnType.BigInt, now: true));
    }
}
