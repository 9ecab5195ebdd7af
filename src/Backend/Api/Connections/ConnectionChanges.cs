using System.Globalization;
using Backend.Api.Accounts;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Http;

namespace Backend.Api.Connections;

/// <summary><c>/connection/update</c>, <c>/connection/incr</c> and <c>/connection/del</c>: changes to existing
/// connections. The reverse reference row follows the connection where it exists.</summary>
internal sealed class ConnectionChanges(Db db, ApiReply reply)
{
    /// <summary>Sets other columns of an existing connection (404 when it does not exist).</summary>
    public async Task Update(HttpContext context)
    {
        var api = context.Api();
        var (me, other, type) = Keys(api);
        var row = WritableColumns.From(db.Table(ConnectionTables.Connection), api.Params, api.IsAdmin, forAdd: false);
        var reverse = WritableColumns.From(db.Table(ConnectionTables.Reference), api.Params, api.IsAdmin, forAdd: false);
        row["id"] = me;
        row["type"] = ConnectionKey.Combine(type, other);
        reverse["id"] = other;
        reverse["type"] = ConnectionKey.Combine(type, me);
        db.Prepare(DbOperation.Update, ConnectionTables.Connection, row, null);
        db.Prepare(DbOperation.Update, ConnectionTables.Reference, reverse, null);
        var result = await db.UpdateAsync(ConnectionTables.Connection, row, context.RequestAborted);
        if (result.Affected == 0) throw ApiException.NotFound("No connection found");
        // Update never creates: a connection made with _noreference stays without one.
        await db.UpdateAsync(ConnectionTables.Reference, reverse, CancellationToken.None);
        await Reply(context, me, other, type);
    }

    /// <summary>Adds numbers to counter columns of an existing connection (404 when it does not exist; 400 when no
    /// counter column is given or a value is not an integer).</summary>
    public async Task Incr(HttpContext context)
    {
        var api = context.Api();
        var (me, other, type) = Keys(api);
        var counters = Counters(db.Table(ConnectionTables.Connection), api);
        if (counters.Count == 0) throw ApiException.BadRequest("no counter column given");
        // Existing connections only, atomically: a /connection/del racing this call is never undone by it.
        var existing = new DbOptions { NoUpsert = true };
        var row = new DbRow(counters) { ["id"] = me, ["type"] = ConnectionKey.Combine(type, other) };
        if ((await db.IncrAsync(ConnectionTables.Connection, row, existing, context.RequestAborted)).Affected == 0)
            throw ApiException.NotFound("No connection found");
        var refTable = db.Table(ConnectionTables.Reference);
        var reverse = new DbRow(counters.Where(kv => refTable.Column(kv.Key) is { Type: ColumnType.Counter })) { ["id"] = other, ["type"] = ConnectionKey.Combine(type, me) };
        if (reverse.Count > 2) await db.IncrAsync(ConnectionTables.Reference, reverse, existing, CancellationToken.None);
        await Reply(context, me, other, type);
    }

    /// <summary>Deletes my connections: one (id and type, 404 when missing), all with one account (id), all of one
    /// type (type), or all (neither). Reply <c>{"count":N}</c>.</summary>
    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var type = ConnectionInput.Type(api, required: false);
        var other = ConnectionInput.Other(api, required: false);
        var counters = !api.Flag("_nocounter");
        var raw = new DbOptions { NoProcessRows = true };
        var rows = new List<DbRow>();
        if (type is not null && other is not null)
        {
            var row = await db.GetAsync(ConnectionTables.Connection, new DbRow { ["id"] = me, ["type"] = ConnectionKey.Combine(type, other) }, raw, context.RequestAborted)
                ?? throw ApiException.NotFound("No connection found");
            rows.Add(row);
        }
        else
        {
            var query = new DbRow { ["id"] = me };
            var options = new DbOptions { NoProcessRows = true, Count = 500, Select = ["id", "type"] };
            ConnectionKey.Narrow(query, options, type, other);
            await foreach (var row in db.ScanAsync(ConnectionTables.Connection, query, options, context.RequestAborted))
                if (other is null || ConnectionKey.Other(row) == other) rows.Add(row);
        }
        var count = 0;
        foreach (var row in rows)
            if (await ConnectionWriter.Delete(db, row, counters, CancellationToken.None)) count++;
        await reply.Send(context, new DbRow { ["count"] = (long)count });
    }

    private static (string Me, string Other, string Type) Keys(ApiRequest api)
    {
        var me = api.RequireAccountId();
        var type = ConnectionInput.Type(api, required: true)!;
        var other = ConnectionInput.Other(api, required: true)!;
        return (me, other, type);
    }

    /// <summary>The counter columns (not keys) given as parameters, as integers; 400 for a non-integer value.
    /// Parameters that are not counter columns are ignored.</summary>
    internal static DbRow Counters(TableSchema table, ApiRequest api)
    {
        var row = new DbRow();
        foreach (var (name, value) in api.Params)
        {
            if (name.StartsWith('_') || table.Column(name) is not { Type: ColumnType.Counter, Primary: 0 }) continue;
            if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                throw ApiException.BadRequest($"{name} must be an integer");
            row[name] = n;
        }
        return row;
    }

    private async Task Reply(HttpContext context, string me, string other, string type)
    {
        var row = await ConnectionReader.Get(db, ConnectionTables.Connection, me, other, type, null, CancellationToken.None)
            ?? throw ApiException.NotFound("No connection found");
        await reply.Send(context, RowFilters.Own(db.Table(ConnectionTables.Connection), row));
    }
}
