using Backend.Data;
using Backend.Http;

namespace Backend.Api.Connections;

/// <summary>Reads of either connection table for the caller: one record or a page, both with the caller as the
/// stored owner (<c>id</c>), so no reply can show anybody else's rows.</summary>
internal static class ConnectionReader
{
    /// <summary>The caller's record of <paramref name="table"/> with <paramref name="other"/> and
    /// <paramref name="type"/>, or null.</summary>
    public static ValueTask<DbRow?> Get(Db db, string table, string me, string other, string type, DbOptions? options, CancellationToken cancellationToken) =>
        db.GetAsync(table, new DbRow { ["id"] = me, ["type"] = ConnectionKey.Combine(type, other) }, options, cancellationToken);

    /// <summary>A page of the caller's rows: all of them, of one <c>type</c>, with one <c>id</c>, or both (then at
    /// most one row). Other column parameters filter (compared with <c>_ops</c>).</summary>
    public static async Task<DbResult> Select(Db db, string tableName, ApiRequest api, string me, CancellationToken cancellationToken)
    {
        var table = db.Table(tableName);
        var type = ConnectionInput.Type(api, required: false);
        var other = ConnectionInput.Other(api, required: false);
        var options = Options(api, table);
        // The keys are set here from the caller and the parsed type/id; client operators on them would compare the
        // stored combined key (and could reach other owners' rows).
        options.Ops.Remove("id");
        options.Ops.Remove("type");
        if (type is not null && other is not null)
        {
            var row = await Get(db, tableName, me, other, type, options, cancellationToken);
            return new DbResult { Rows = row is null ? [] : [row] };
        }
        var query = new DbRow();
        foreach (var (name, value) in api.Columns())
            if (table.Column(name) is { Primary: 0 }) query[name] = value;
        query["id"] = me;
        ConnectionKey.Narrow(query, options, type, other);
        var result = await db.SelectAsync(tableName, query, options, cancellationToken);
        if (type is null && other is not null)
        {
            result.Rows.RemoveAll(r => OtherOf(r, options) != other);
        }
        return result;
    }

    /// <summary>The options of a read: the common ones, <c>_noprocessrows</c>, and the keys always in <c>_select</c>
    /// (the processor needs <c>type</c> to name the other account).</summary>
    public static DbOptions Options(ApiRequest api, TableSchema table)
    {
        var options = ApiOptions.Parse(api, table);
        options.NoProcessRows = api.Flag("_noprocessrows");
        if (options.Select is { Count: > 0 } select)
            options.Select = [.. select.Union(["id", "type"], StringComparer.Ordinal)];
        return options;
    }

    /// <summary>The other account of a row, processed or raw.</summary>
    public static string? OtherOf(DbRow row, DbOptions options) =>
        options.NoProcessRows ? ConnectionKey.Other(row) : row.GetString("id");

    /// <summary>Adds the other accounts' public <c>bk_account</c> columns to the rows (one List call); the
    /// connection's own values win over account columns of the same name.</summary>
    public static async Task Details(Db db, IReadOnlyList<DbRow> rows, DbOptions options, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => OtherOf(r, options)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return;
        var table = db.Table(ConnectionTables.Account);
        var found = (await db.ListAsync(ConnectionTables.Account, ids.Select(id => (object)new DbRow { ["id"] = id }), cancellationToken)).Rows
            .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (OtherOf(row, options) is not { } id || !found.TryGetValue(id, out var account)) continue;
            foreach (var (k, v) in RowFilters.Public(table, account)) row.TryAdd(k, v);
        }
    }
}
