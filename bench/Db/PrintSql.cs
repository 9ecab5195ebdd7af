using Backend.Data;
using Backend.Data.Sql;
using Backend.MySql;
using Backend.Postgres;

namespace Backend.Benchmarks;

/// <summary><c>--print-sql</c>: the statements each SQL driver builds for the benchmark's Get, Put and Select, next
/// to the text the raw side uses, so the two can be checked to be the same requests.</summary>
internal static class PrintSql
{
    public static void Run()
    {
        var tables = new TableRegistry();
        BenchTable.Describe(tables);
        var db = new Db(tables, new DbPools("none"));
        var get = db.Prepare(DbOperation.Get, BenchTable.Name, new DbRow { ["grp"] = "g000", ["id"] = 1L }, null);
        var put = db.Prepare(DbOperation.Put, BenchTable.Name, BenchTable.Row(1, 0), null);
        var select = db.Prepare(DbOperation.Select, BenchTable.Name, new DbRow { ["grp"] = "g000" }, new DbOptions { Count = BenchTable.GroupSize });
        Show("sqlite", new SqlBuilder(SqlDialect.Sqlite), get, put, select, SqliteBench.GetSql, SqliteBench.PutSql, SqliteBench.SelectSql);
        Show("pgsql", new PostgresSqlBuilder(), get, put, select, PostgresBench.GetSql, PostgresBench.PutSql, PostgresBench.SelectSql);
        Show("mysql", new MySqlSqlBuilder(), get, put, select, MySqlBench.GetSql, MySqlBench.PutSql, MySqlBench.SelectSql);
    }

    private static void Show(string name, SqlBuilder b, DbRequest get, DbRequest put, DbRequest select, string rawGet, string rawPut, string rawSelect)
    {
        Console.WriteLine($"== {name}");
        One("get", b.Build(get), rawGet);
        One("put", b.Build(put), rawPut);
        One("select", b.Select(select).Statement, rawSelect);
    }

    private static void One(string op, SqlStatement driver, string raw)
    {
        Console.WriteLine($"  {op,-6} driver: {driver.Text}");
        Console.WriteLine($"  {op,-6} params: {string.Join(", ", driver.Parameters.Select(p => $"{p} ({p?.GetType().Name})"))}");
        Console.WriteLine($"  {op,-6} raw is the same text: {(driver.Text == raw ? "yes" : "NO: " + raw)}");
    }
}
