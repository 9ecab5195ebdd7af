using Backend.Data;
using Backend.Data.Sqlite;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Sql;

/// <summary>The same tests on the embedded SQLite driver, the reference the server drivers must match: every
/// expectation in <see cref="SqlDriverTests{TTarget}"/> is SQLite's behaviour, checked here.</summary>
public sealed class SqliteReferenceTests(SqliteTarget target) : SqlDriverTests<SqliteTarget>(target)
{
    /// <inheritdoc />
    protected override bool IsServer => false;

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new SqliteDriverFactory();

    /// <inheritdoc />
    protected override string UrlAt(int port) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override string IndexNamesSql => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = @t";

    /// <inheritdoc />
    protected override string ConnectionIdSql => throw new NotSupportedException();

    /// <inheritdoc />
    protected override string KillSql => throw new NotSupportedException();

    /// <inheritdoc />
    protected override string SleepSql => throw new NotSupportedException();
}
