using Backend.Data;

namespace Backend.Api;

/// <summary>Checks the columns of an account write (<c>/account/add</c>, <c>/account/update</c>) that a module gives a
/// meaning to (the push module's <c>device_id</c>): throws an <see cref="Http.ApiException"/> (400) for a bad value
/// before anything is written. Registered by the module with DI; the accounts module runs every one.</summary>
internal interface IAccountWriteCheck
{
    /// <summary>Checks <paramref name="row"/>, the columns about to be written.</summary>
    void Check(DbRow row);
}
