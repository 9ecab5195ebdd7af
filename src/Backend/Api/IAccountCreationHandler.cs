namespace Backend.Api;

/// <summary>Creates what a module keeps for every account when an account is added (<c>/account/add</c>,
/// <c>bkcs add-user</c>). Each module registers one with DI
/// (<c>services.AddSingleton&lt;IAccountCreationHandler, X&gt;()</c>), so the accounts module needs to know none of
/// them. Handlers run after the account's rows are written.</summary>
public interface IAccountCreationHandler
{
    /// <summary>Writes the module's rows of the new account; <paramref name="account"/> is its stored
    /// <c>bk_account</c> row.</summary>
    Task AccountAddedAsync(string accountId, Backend.Data.DbRow account, CancellationToken cancellationToken);
}
