namespace Backend.Data;

/// <summary>A database pool: one driver instance bound to one database. Drivers translate <see cref="DbRequest"/>s;
/// all validation and type conversion happens in <see cref="Db"/> before they are called.</summary>
public interface IDbDriver : IAsyncDisposable
{
    /// <summary>Pool name (<c>sqlite</c>, <c>pgsql</c>, ...).</summary>
    string Name { get; }

    /// <summary>Creates missing tables and adds missing columns and indexes.</summary>
    Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken);

    /// <summary>Executes one request.</summary>
    Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken);
}
