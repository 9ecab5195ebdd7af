using Backend.Data;

namespace Backend.Api;

/// <summary>Adds a module's computed properties to the accounts <c>/account/get</c> answers (the caller's own record
/// and others' by <c>id</c>). Each module registers one with DI
/// (<c>services.AddSingleton&lt;IAccountViewHandler, X&gt;()</c>), as for <see cref="IAccountCreationHandler"/>, so the
/// accounts module needs to know none of them. A handler gets the stored row, hidden columns included, because what
/// it derives may come from a column nobody may see as it is (the icons module's summary of the account's icons): a
/// post-process hook (<c>ApiHooks.PostProcess</c>) only gets the filtered reply, and reading the row again would cost
/// every <c>/account/get</c> a second query. Handlers run on the request path: no I/O.</summary>
internal interface IAccountViewHandler
{
    /// <summary>Adds properties to <paramref name="shown"/>, the row as <paramref name="viewerId"/> may see it, from
    /// <paramref name="stored"/>, the <c>bk_account</c> row as read.</summary>
    void AddProperties(DbRow stored, DbRow shown, string viewerId);
}
