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

    /// <summary>The language of <see cref="DbOperation.Search"/>'s native text on this pool (SQL by default).</summary>
    DbQuerySyntax QuerySyntax => DbQuerySyntax.Sql;
}

/// <summary>The language of a pool's native search text (<see cref="DbNativeQuery"/>).</summary>
public enum DbQuerySyntax
{
    /// <summary>An SQL condition with <c>@name</c> parameters.</summary>
    Sql,

    /// <summary>A DynamoDB filter expression: <c>#name</c> attribute names, <c>:name</c> and <c>@name</c> values.</summary>
    FilterExpression,

    /// <summary>The pool has no native search.</summary>
    None,
}

/// <summary>Implemented by a driver whose database runs in this process (SQLite): a Get by primary key answered on the
/// caller's thread, without a Task, a result object or a list, which on a ~4 μs in-process read are a measurable part
/// of the cost (bench/Db). <c>Db.GetAsync</c> uses it when the pool's driver has it; every other operation goes
/// through <see cref="IDbDriver.ExecuteAsync"/>.</summary>
internal interface IInProcessGet
{
    /// <summary>The row of a prepared <see cref="DbOperation.Get"/> request, or null; errors are
    /// <see cref="DbException"/>s as from <see cref="IDbDriver.ExecuteAsync"/>.</summary>
    DbRow? Get(DbRequest request);
}
