namespace Backend.Data;

/// <summary>Post-processes every row a table returns (the reference's <c>db.setProcessRow</c>): add computed
/// properties, rename or remove values. Runs after Get and Select unless <see cref="DbOptions.NoProcessRows"/>.</summary>
public delegate void DbRowProcessor(DbRow row, DbOptions options, TableSchema table);
