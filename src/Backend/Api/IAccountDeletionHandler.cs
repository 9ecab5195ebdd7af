namespace Backend.Api;

/// <summary>Removes what a module keeps about an account when the account is deleted (<c>/account/del</c>). Each
/// module registers one with DI (<c>services.AddSingleton&lt;IAccountDeletionHandler, X&gt;()</c>), so the
/// accounts module needs to know none of them; apps register their own for their tables. Handlers run after the
/// credentials are gone (nobody can sign as the account any more) and must tolerate rows that are already missing.</summary>
public interface IAccountDeletionHandler
{
    /// <summary>Deletes the module's rows of the account <paramref name="accountId"/>; <paramref name="account"/> is
    /// its <c>bk_account</c> row as it was before the deletion (null if there was none).</summary>
    Task DeleteAccountDataAsync(string accountId, Backend.Data.DbRow? account, CancellationToken cancellationToken);
}
