namespace Backend.Data;

/// <summary>Configures the <see cref="Db"/> facade once, when the service provider creates it: row processors
/// (<see cref="Db.SetProcessRow"/>), cached tables. Modules and apps register one with DI
/// (<c>services.AddSingleton&lt;IDbSetup, X&gt;()</c>), so no state changes while endpoints are mapped, and the
/// setup applies whether or not the module's endpoints are (<c>-api-disable</c>).</summary>
public interface IDbSetup
{
    /// <summary>Applies the setup to the facade.</summary>
    void Configure(Db db);
}
