using System.Data.Common;

namespace Backend.Benchmarks;

/// <summary>How a competent ADO.NET user reads the benchmark table: typed getters by ordinal (the SELECT list is
/// known), a NULL check on the nullable columns, one dictionary per row.</summary>
internal static class SqlRows
{
    /// <summary>The row the reader is on, columns in <see cref="BenchTable.Columns"/> order.</summary>
    public static Dictionary<string, object?> Read(DbDataReader r)
    {
        var row = new Dictionary<string, object?>(BenchTable.Columns.Length, StringComparer.Ordinal)
        {
            ["grp"] = r.GetString(0),
            ["id"] = r.GetInt64(1),
        };
        if (!r.IsDBNull(2)) row["name"] = r.GetString(2);
        if (!r.IsDBNull(3)) row["score"] = r.GetDouble(3);
        if (!r.IsDBNull(4)) row["qty"] = r.GetInt64(4);
        if (!r.IsDBNull(5)) row["active"] = r.GetBoolean(5);
        if (!r.IsDBNull(6)) row["note"] = r.GetString(6);
        if (!r.IsDBNull(7)) row["mtime"] = r.GetInt64(7);
        return row;
    }

    /// <summary>Every row of the reader (synchronous: Microsoft.Data.Sqlite).</summary>
    public static List<Dictionary<string, object?>> ReadAll(DbDataReader r, int capacity)
    {
        var rows = new List<Dictionary<string, object?>>(capacity);
        while (r.Read()) rows.Add(Read(r));
        return rows;
    }

    /// <summary>Every row of the reader (asynchronous: Npgsql, MySqlConnector).</summary>
    public static async ValueTask<List<Dictionary<string, object?>>> ReadAllAsync(DbDataReader r, int capacity)
    {
        var rows = new List<Dictionary<string, object?>>(capacity);
        while (await r.ReadAsync()) rows.Add(Read(r));
        return rows;
    }
}
