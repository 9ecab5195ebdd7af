using Backend.Data;
using Backend.MySql;
using MySqlConnector;

namespace Backend.Benchmarks;

/// <summary>MySQL/MariaDB: the facade over <see cref="MySqlDriver"/> vs MySqlConnector with its own
/// <see cref="MySqlDataSource"/> built from the same connection string (<see cref="MySqlDriverFactory.ConnectionString"/>:
/// pooled, 20 connections, found rows), one pooled connection per call, typed parameters, the driver's SQL text.</summary>
public class MySqlBench : DbBenchBase
{
    internal const string GetSql = "SELECT `grp`, `id`, `name`, `score`, `qty`, `active`, `note`, `mtime` FROM `bench_db_rows` WHERE `grp` = @p0 AND `id` = @p1 LIMIT 1";
    internal const string PutSql = "INSERT INTO `bench_db_rows` (`grp`, `id`, `name`, `score`, `qty`, `active`, `note`, `mtime`) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `score` = VALUES(`score`), `qty` = VALUES(`qty`), `active` = VALUES(`active`), `note` = VALUES(`note`), `mtime` = VALUES(`mtime`)";
    internal const string SelectSql = "SELECT `grp`, `id`, `name`, `score`, `qty`, `active`, `note`, `mtime` FROM `bench_db_rows` WHERE `grp` = @p0 ORDER BY `grp`, `id` LIMIT @p1";

    private MySqlDataSource _ds = null!;

    /// <inheritdoc />
    protected override Task<Db> OpenFacadeAsync() => BenchTable.OpenAsync(new MySqlDriverFactory(), BenchTable.ServerUrl("mysql"), Path.Combine(Path.GetTempPath(), "bkcs-bench-db"));

    /// <inheritdoc />
    protected override Task OpenRawAsync()
    {
        _ds = new MySqlDataSource(MySqlDriverFactory.ConnectionString(BenchTable.ServerUrl("mysql"), 20, 3000));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CloseRawAsync() => _ds.DisposeAsync();

    /// <inheritdoc />
    protected override async ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new MySqlCommand(GetSql, conn);
        cmd.Parameters.Add(new MySqlParameter("@p0", MySqlDbType.VarChar) { Value = grp });
        cmd.Parameters.Add(new MySqlParameter("@p1", MySqlDbType.Int64) { Value = id });
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() ? SqlRows.Read(r) : null;
    }

    /// <inheritdoc />
    protected override async ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new MySqlCommand(PutSql, conn);
        var p = cmd.Parameters;
        p.Add(new MySqlParameter("@p0", MySqlDbType.VarChar) { Value = BenchTable.GroupNames[id / BenchTable.GroupSize] });
        p.Add(new MySqlParameter("@p1", MySqlDbType.Int64) { Value = id });
        p.Add(new MySqlParameter("@p2", MySqlDbType.LongText) { Value = v.Name });
        p.Add(new MySqlParameter("@p3", MySqlDbType.Double) { Value = v.Score });
        p.Add(new MySqlParameter("@p4", MySqlDbType.Int64) { Value = v.Qty });
        p.Add(new MySqlParameter("@p5", MySqlDbType.Bool) { Value = v.Active });
        p.Add(new MySqlParameter("@p6", MySqlDbType.LongText) { Value = v.Note });
        p.Add(new MySqlParameter("@p7", MySqlDbType.Int64) { Value = v.Mtime });
        // ON DUPLICATE KEY UPDATE counts 2 for a changed row (1 for an insert or an unchanged row).
        return Math.Min(await cmd.ExecuteNonQueryAsync(), 1);
    }

    /// <inheritdoc />
    protected override async ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new MySqlCommand(SelectSql, conn);
        cmd.Parameters.Add(new MySqlParameter("@p0", MySqlDbType.VarChar) { Value = grp });
        cmd.Parameters.Add(new MySqlParameter("@p1", MySqlDbType.Int64) { Value = (long)count });
        await using var r = await cmd.ExecuteReaderAsync();
        return await SqlRows.ReadAllAsync(r, count);
    }
}
