namespace Backend.Data;

/// <summary>One write of a <c>Db.BatchAsync</c>: Add, Put, Update, Incr, Replace or Del of a row in a table.</summary>
public sealed record DbBatchItem(DbOperation Operation, string Table, object Row);
