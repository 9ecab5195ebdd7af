using Backend.Data;

namespace Backend.Jobs;

/// <summary>The jobs tables. Ids start with the time in milliseconds, zero-padded to 15 digits, so key order is time
/// order on every driver. <c>bk_job_run</c> is both the record of a run and its once-per-cluster claim: a master runs a
/// crontab tick or a queued job only when its add of the run row (a key every master computes alike) succeeded; the
/// facade guarantees one add of a key succeeds and the others get a conflict on every pool.</summary>
internal static class JobTables
{
    /// <summary>Every run: name, node, start, end, status, error.</summary>
    public const string Runs = "bk_job_run";

    /// <summary>Remote jobs waiting for a master.</summary>
    public const string Queue = "bk_job_queue";

    /// <summary>Longest error text kept.</summary>
    public const int MaxError = 2000;

    /// <summary>Longest arguments (JSON text).</summary>
    public const int MaxArgs = 65536;

    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Runs, t => t
            .Column("id", primary: true, maxLength: 128)
            .Column("name", maxLength: 64)
            .Column("type", maxLength: 16)
            .Column("tag", maxLength: 128)
            .Column("node", maxLength: 256)
            .Column("args", maxLength: MaxArgs)
            .Column("status", maxLength: 16)
            .Column("error", maxLength: MaxError)
            .Column("started", ColumnType.BigInt)
            .Column("ended", ColumnType.BigInt));
        tables.Add(Queue, t => t
            .Column("id", primary: true, maxLength: 128)
            .Column("name", maxLength: 64)
            .Column("type", maxLength: 16)
            .Column("tag", maxLength: 128)
            .Column("args", maxLength: MaxArgs)
            .Column("ctime", ColumnType.BigInt));
    }
}
