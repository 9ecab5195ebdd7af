using Backend.Data;
using Backend.Postgres;
using Npgsql;

namespace Backend.Benchmarks;

/// <summary>PostgreSQL: the facade over <see cref="PostgresDriver"/> vs Npgsql with its own <see cref="NpgsqlDataSource"/>
/// built from the same connection string (<see cref="PostgresDriverFactory.ConnectionString"/>: pooled, 20 connections,
/// no auto-prepare), one pooled connection per call, typed generic parameters, the driver's SQL text.</summary>
public class PostgresBench : DbBenchBase
{
    internal const string GetSql = "SELECT \"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\" FROM \"bench_db_rows\" WHERE \"grp\" = $1 AND \"id\" = $2 LIMIT 1";
    internal const string PutSql = "INSERT INTO \"bench_db_rows\" (\"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (\"grp\", \"id\") DO UPDATE SET \"name\" = excluded.\"name\", \"score\" = excluded.\"score\", \"qty\" = excluded.\"qty\", \"active\" = excluded.\"active\", \"note\" = excluded.\"note\", \"mtime\" = excluded.\"mtime\"";
    internal const string SelectSql = "SELECT \"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\" FROM \"bench_db_rows\" WHERE \"grp\" = $1 ORDER BY \"grp\", \"id\" LIMIT $2";

    private NpgsqlDataSource _ds = null!;

    /// <inheritdoc />
    protected override Task<Db> OpenFacadeAsync() => BenchTable.OpenAsync(new PostgresDriverFactory(), BenchTable.ServerUrl("pgsql"), Path.Combine(Path.GetTempPath(), "bkcs-bench-db"));

    /// <inheritdoc />
    protected override Task OpenRawAsync()
    {
        _ds = NpgsqlDataSource.Create(PostgresDriverFactory.ConnectionString(BenchTable.ServerUrl("pgsql"), 20, 3000));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CloseRawAsync() => _ds.DisposeAsync();

    /// <inheritdoc />
    protected override async ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(GetSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grp });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() ? SqlRows.Read(r) : null;
    }

    /// <inheritdoc />
    protected override async ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(PutSql, conn);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = BenchTable.GroupNames[id / BenchTable.GroupSize] });
        p.Add(new NpgsqlParameter<long> { TypedValue = id });
        p.Add(new NpgsqlParameter<string> { TypedValue = v.Name });
        p.Add(new NpgsqlParameter<double> { TypedValue = v.Score });
        p.Add(new NpgsqlParameter<long> { TypedValue = v.Qty });
        p.Add(new NpgsqlParameter<bool> { TypedValue = v.Active });
        p.Add(new NpgsqlParameter<string> { TypedValue = v.Note });
        p.Add(new NpgsqlParameter<long> { TypedValue = v.Mtime });
        return await cmd.ExecuteNonQueryAsync();
    }

    /// <inheritdoc />
    protected override async ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count)
    {
        await using var conn = await _ds.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(SelectSql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grp });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = count });
        await using var r = await cmd.ExecuteReaderAsync();
        return await SqlRows.ReadAllAsync(r, count);
    }
}
