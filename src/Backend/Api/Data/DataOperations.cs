using Backend.Data;
using Backend.Http;

namespace Backend.Api.Data;

/// <summary>The operations of <c>/data/OP/TABLE</c>. Reads answer a row (<c>get</c>, 404 when missing) or a page
/// <c>{"data":[...],"next_token":"..."}</c> (<c>select</c>, <c>search</c>, <c>list</c>); writes answer
/// <c>{"affected":N}</c> (0 when an update or delete found no row).</summary>
internal static class DataOperations
{
    /// <summary>An operation's handler.</summary>
    public delegate Task<object> Handler(DataRequest request, CancellationToken cancellationToken);

    private static readonly Dictionary<string, Handler> Handlers = new(StringComparer.Ordinal)
    {
        ["get"] = Get,
        ["select"] = Select,
        ["search"] = Search,
        ["list"] = List,
        ["add"] = (r, ct) => Write(r, DbOperation.Add, ct),
        ["put"] = (r, ct) => Write(r, DbOperation.Put, ct),
        ["update"] = (r, ct) => Write(r, DbOperation.Update, ct),
        ["incr"] = (r, ct) => Write(r, DbOperation.Incr, ct),
        ["replace"] = (r, ct) => Write(r, DbOperation.Replace, ct),
        ["del"] = Del,
    };

    /// <summary>The handler of an operation name, or null for an unknown one.</summary>
    public static Handler? Find(string name) => Handlers.GetValueOrDefault(name);

    private static async Task<object> Get(DataRequest r, CancellationToken ct)
    {
        var extra = Need(r, r.Caller.IsAdmin ? [] : ["id"]);
        var row = await r.Db.GetAsync(r.Table.Name, r.Values(), r.Options, ct) ?? throw ApiException.NotFound("No record found");
        return Shape(r, row, extra);
    }

    private static async Task<object> Select(DataRequest r, CancellationToken ct)
    {
        var query = r.Values();
        if (query.Count == 0 && (NoScan(r) || !r.Caller.Unsecure))
            throw ApiException.BadRequest("a select without conditions scans the whole table: pass _noscan=0 (allowed only with -api-unsecure data)");
        r.Caller.CheckConditions(r.Table, query, r.Options);
        var extra = Need(r, r.Caller.IsAdmin ? [] : ["id"]);
        var result = await r.Db.SelectAsync(r.Table.Name, query, r.Options, ct);
        return new DbResult { Rows = [.. result.Rows.Select(row => Shape(r, row, extra))], NextToken = result.NextToken };
    }

    private static async Task<object> Search(DataRequest r, CancellationToken ct)
    {
        // Native text cannot be checked column by column, so it stays with admins even under -api-unsecure data.
        if (!r.Caller.IsAdmin) throw new ApiException(403, "search is for admins: use select");
        var hashNames = r.Db.QuerySyntax(r.Table.Name, r.Options.Pool) == DbQuerySyntax.FilterExpression;
        var query = DataSearchQuery.Build(r.Api, r.Table, r.Db.Tables, hashNames);
        if (r.Options.Sort is { } sort && r.Table.Column(sort) is { Hidden: true }) throw new ApiException(403, $"cannot sort by hidden column {sort}");
        DbResult result;
        try
        {
            result = await r.Db.SearchAsync(r.Table.Name, query, r.Options, ct);
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.NotSupported)
        {
            // The driver cannot search natively (Redis): the client asked for what this pool does not offer, a 400 with
            // the driver's reason (no client input is a 5xx).
            throw ApiException.BadRequest(ex.Message);
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Failed)
        {
            // The text is the client's: a statement the database rejects is bad input, not a server failure. (A 504
            // is a statement that ran past the time limit: it stays a 504.)
            throw ApiException.BadRequest("_query was rejected by the database");
        }
        return new DbResult { Rows = [.. result.Rows.Select(row => Shape(r, row, []))], NextToken = result.NextToken };
    }

    private static async Task<object> List(DataRequest r, CancellationToken ct)
    {
        var keys = DataListKeys.Parse(r.Api, r.Table);
        var extra = Need(r, r.Caller.IsAdmin ? r.Table.PrimaryKeys : [.. r.Table.PrimaryKeys, "id"]);
        var found = (await r.Db.ListAsync(r.Table.Name, keys, r.Options, ct)).Rows
            .GroupBy(row => DataListKeys.Identity(r.Table, row), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // In the order asked; keys without a row are left out.
        var rows = keys.Select(k => found.GetValueOrDefault(DataListKeys.Identity(r.Table, k))).OfType<DbRow>().Select(row => Shape(r, row, extra)).ToList();
        return new DbResult { Rows = rows };
    }

    private static async Task<object> Write(DataRequest r, DbOperation op, CancellationToken ct)
    {
        var row = r.Caller.Writable(r.Table, r.Values());
        if (op == DbOperation.Put) r.Caller.CheckPut(r.Table);
        await r.Caller.CheckOwner(r.Db, r.Table, row, ct);
        var result = op switch
        {
            DbOperation.Add => await r.Db.AddAsync(r.Table.Name, row, ct),
            DbOperation.Put => await r.Db.PutAsync(r.Table.Name, row, ct),
            DbOperation.Update => await r.Db.UpdateAsync(r.Table.Name, row, ct),
            DbOperation.Incr => await r.Db.IncrAsync(r.Table.Name, row, ct),
            _ => await r.Db.ReplaceAsync(r.Table.Name, row, ct),
        };
        return Affected(result);
    }

    private static async Task<object> Del(DataRequest r, CancellationToken ct)
    {
        var values = r.Values();
        var keys = new DbRow();
        foreach (var k in r.Table.PrimaryKeys.Append("id"))
            if (values.TryGetValue(k, out var v)) keys[k] = v;
        await r.Caller.CheckOwner(r.Db, r.Table, keys, ct);
        return Affected(await r.Db.DelAsync(r.Table.Name, keys, ct));
    }

    private static DbRow Affected(DbResult result) => new() { ["affected"] = (long)result.Affected };

    /// <summary>With <c>_select</c>, adds the columns the API itself needs (the owner's id, the keys) and returns
    /// those it added, to drop from the reply.</summary>
    private static List<string> Need(DataRequest r, IEnumerable<string> columns)
    {
        if (r.Options.Select is not { Count: > 0 } select) return [];
        var added = columns.Where(c => r.Table.HasColumn(c) && !select.Contains(c)).Distinct().ToList();
        if (added.Count > 0) r.Options.Select = [.. select, .. added];
        return added;
    }

    private static DbRow Shape(DataRequest r, DbRow row, List<string> extra)
    {
        var shown = r.Caller.Filter(r.Table, row);
        foreach (var c in extra) shown.Remove(c);
        return shown;
    }

    /// <summary><c>_noscan</c>: true unless the client passes a false value.</summary>
    private static bool NoScan(DataRequest r) =>
        r.Api.Get("_noscan") is not { } v || (DbValues.ToBool(v) ?? throw ApiException.BadRequest("_noscan must be a boolean"));
}
