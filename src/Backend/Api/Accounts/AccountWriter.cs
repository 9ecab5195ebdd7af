using Backend.Data;
using Backend.Http;

namespace Backend.Api.Accounts;

/// <summary>Creates accounts: the one path used by <c>/account/add</c> and <c>bkcs add-user</c>, so both apply the same
/// rules (required columns, alias default, admin-only columns, nothing written on bad input).</summary>
internal static class AccountWriter
{
    /// <summary>Adds an account from column values (login, secret and name required). Admin-only columns (type,
    /// ACLs, expiry) are kept only when <paramref name="asAdmin"/>; location, readonly and key columns never come
    /// from the values; <c>ctime</c> is <paramref name="time"/>'s now. The <paramref name="handlers"/> (every registered <see cref="IAccountCreationHandler"/>) then
    /// write the modules' rows of the account. Returns the stored <c>bk_account</c> row as its owner sees it.</summary>
    public static async Task<DbRow> AddAsync(Db db, IReadOnlyDictionary<string, string> values, bool asAdmin, TimeProvider time,
        CancellationToken cancellationToken, IEnumerable<IAccountCreationHandler>? handlers = null, IEnumerable<IAccountWriteCheck>? checks = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(time);
        string Require(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : throw ApiException.BadRequest($"{name} is required");
        var login = Require("login");
        var secret = Require("secret");
        var name = Require("name");
        var table = db.Table(AccountTables.Account);
        var id = Guid.NewGuid().ToString("N");

        var account = WritableColumns.From(table, values, asAdmin, forAdd: true);
        account["id"] = id;
        account["login"] = login;
        account["name"] = name;
        if (string.IsNullOrEmpty(account.GetString("alias"))) account["alias"] = name;
        account["ctime"] = time.GetUtcNow().ToUnixTimeMilliseconds();

        var auth = WritableColumns.From(db.Table(AccountTables.Auth), values, asAdmin, forAdd: true);
        auth["login"] = login;
        auth["secret"] = secret;
        auth["id"] = id;
        if (asAdmin && values.TryGetValue("type", out var type) && type.Length > 0) account["type"] = auth["type"] = type;

        // Validate both rows before writing either, so bad input writes nothing.
        foreach (var check in checks ?? []) check.Check(account);
        db.Prepare(DbOperation.Add, AccountTables.Auth, auth, null);
        db.Prepare(DbOperation.Add, AccountTables.Account, account, null);
        try
        {
            await db.AddAsync(AccountTables.Auth, auth, cancellationToken);
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Conflict)
        {
            throw new ApiException(409, "An account with this login already exists");
        }
        try
        {
            await db.AddAsync(AccountTables.Account, account, CancellationToken.None);
        }
        catch
        {
            await db.DelAsync(AccountTables.Auth, new DbRow { ["login"] = login }, CancellationToken.None);
            throw;
        }
        var row = await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = id }, CancellationToken.None);
        // The account exists from here on: the modules' rows are written even if the client has gone.
        foreach (var handler in handlers ?? []) await handler.AccountAddedAsync(id, row!, CancellationToken.None);
        return RowFilters.Own(table, row!);
    }
}
