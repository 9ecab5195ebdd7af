using Backend.Data;
using Backend.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace Backend.Benchmarks;

/// <summary>SQLite: the facade over <see cref="SqliteDriver"/> vs Microsoft.Data.Sqlite on one open connection with
/// the driver's pragmas (WAL, synchronous=NORMAL) and three prepared commands whose parameters are re-bound per call.
/// Both use the same database file. The SQL is the text the driver generates (see <c>--print-sql</c>).</summary>
public class SqliteBench : DbBenchBase
{
    internal const string GetSql = "SELECT \"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\" FROM \"bench_db_rows\" WHERE \"grp\" = @p0 AND \"id\" = @p1 LIMIT 1";
    internal const string PutSql = "INSERT OR REPLACE INTO \"bench_db_rows\" (\"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\") VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)";
    internal const string SelectSql = "SELECT \"grp\", \"id\", \"name\", \"score\", \"qty\", \"active\", \"note\", \"mtime\" FROM \"bench_db_rows\" WHERE \"grp\" = @p0 ORDER BY \"grp\", \"id\" LIMIT @p1";

    private static readonly string Home = Path.Combine(Path.GetTempPath(), "bkcs-bench-db");
    private static readonly string File = Path.Combine(Home, "bench.db");
    private SqliteConnection _conn = null!;
    private SqliteCommand _get = null!, _put = null!, _select = null!;

    /// <inheritdoc />
    protected override Task<Db> OpenFacadeAsync() => BenchTable.OpenAsync(new SqliteDriverFactory(), File, Home);

    /// <inheritdoc />
    protected override Task OpenRawAsync()
    {
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = File, Mode = SqliteOpenMode.ReadWrite, DefaultTimeout = 30 }.ToString());
        _conn.Open();
        using (var pragma = _conn.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
            pragma.ExecuteNonQuery();
        }
        _get = Prepare(GetSql, 2);
        _put = Prepare(PutSql, 8);
        _select = Prepare(SelectSql, 2);
        return Task.CompletedTask;
    }

    private SqliteCommand Prepare(string sql, int parameters)
    {
        var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < parameters; i++) cmd.Parameters.Add(new SqliteParameter("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), null));
        return cmd;
    }

    /// <inheritdoc />
    protected override ValueTask CloseRawAsync()
    {
        _get.Dispose();
        _put.Dispose();
        _select.Dispose();
        _conn.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id)
    {
        _get.Parameters[0].Value = grp;
        _get.Parameters[1].Value = id;
        using var r = _get.ExecuteReader();
        return new(r.Read() ? SqlRows.Read(r) : null);
    }

    /// <inheritdoc />
    protected override ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v)
    {
        var p = _put.Parameters;
        p[0].Value = BenchTable.GroupNames[id / BenchTable.GroupSize];
        p[1].Value = id;
        p[2].Value = v.Name;
        p[3].Value = v.Score;
        p[4].Value = v.Qty;
        p[5].Value = v.Active;
        p[6].Value = v.Note;
        p[7].Value = v.Mtime;
        return new(_put.ExecuteNonQuery());
    }

    /// <inheritdoc />
    protected override ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count)
    {
        _select.Parameters[0].Value = grp;
        _select.Parameters[1].Value = (long)count;
        using var r = _select.ExecuteReader();
        return new(SqlRows.ReadAll(r, count));
    }
}
