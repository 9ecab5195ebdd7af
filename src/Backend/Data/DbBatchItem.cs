namespace Backend.Data;

/// <summary>One write of a <see cref="Db.Batch"/>: Add, Put, Update, Incr, Replace or Del of a row in a table.</summary>
public sealed record DbBatchItem(DbOperation Operation, string Table, object Row);
