using Backend.Api.Accounts;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Data;

/// <summary>Who is calling the data API and what that caller may do. Admins may do everything; other accounts only
/// when <c>-api-unsecure</c> lists <c>data</c>, and then never on <c>bk_auth</c>, never writing admin, readonly,
/// hidden or location columns, never writing another account's rows, and seeing others' rows with public columns
/// only. Hidden columns (secrets) are never returned to anyone.</summary>
internal sealed class DataCaller
{
    private DataCaller(string id, bool isAdmin, bool unsecure)
    {
        Id = id;
        IsAdmin = isAdmin;
        Unsecure = unsecure;
    }

    /// <summary>The caller's account id.</summary>
    public string Id { get; }

    /// <summary>True for admins.</summary>
    public bool IsAdmin { get; }

    /// <summary>True when <c>-api-unsecure</c> lists <c>data</c> (non-admins allowed, table scans possible).</summary>
    public bool Unsecure { get; }

    /// <summary>The caller, or 401 (anonymous) / 403 (not an admin and the data API not unsecure).</summary>
    public static DataCaller From(ApiRequest api, bool unsecure)
    {
        var id = api.RequireAccountId();
        if (!api.IsAdmin && !unsecure) throw new ApiException(403, "Access denied: the data API is for admins");
        return new DataCaller(id, api.IsAdmin, unsecure);
    }

    /// <summary>True when the caller may see the table at all (non-admins never see <c>bk_auth</c>: its rows map
    /// logins to account ids and hold the roles).</summary>
    public bool CanSee(TableSchema table) => IsAdmin || table.Name != AccountTables.Auth;

    /// <summary>The table by name: 404 when it is not described, 403 when the caller may not touch it.</summary>
    public TableSchema Table(Db db, string name)
    {
        var table = db.Tables.Get(name) ?? throw ApiException.NotFound($"Unknown table: {name}");
        return CanSee(table) ? table : throw new ApiException(403, $"Access denied to table {name}");
    }

    /// <summary>A row as the caller may see it: admins everything but hidden columns, others their own rows (the
    /// row's <c>id</c> is theirs) without hidden columns and anyone else's with public columns only.</summary>
    public DbRow Filter(TableSchema table, DbRow row) => IsAdmin ? RowFilters.Own(table, row) : RowFilters.For(table, row, Id);

    /// <summary>Refuses conditions the caller could use to guess values it may not see: hidden columns for
    /// everyone; for non-admins private columns too, unless the query is limited to the caller's own rows
    /// (<c>id</c> equal to the caller).</summary>
    public void CheckConditions(TableSchema table, DbRow query, DbOptions options)
    {
        var names = query.Keys.Concat(options.Sort is null ? [] : [options.Sort]).ToList();
        foreach (var name in names)
        {
            if (table.Column(name) is { Hidden: true }) throw new ApiException(403, $"cannot search by hidden column {name}");
        }
        var ownRows = table.HasColumn("id") && query.GetString("id") == Id && options.OpFor("id") == DbCompare.Eq;
        if (IsAdmin || ownRows) return;
        foreach (var name in names)
        {
            if (table.Column(name) is { Pub: false }) throw new ApiException(403, $"cannot search by private column {name}");
        }
    }

    /// <summary>The values the caller may write from the request's column parameters. Admins write every column but
    /// <c>now</c> ones (the facade sets them); others never admin, readonly, hidden or location columns (ignored, as
    /// <c>/account/update</c> does). Key columns are always kept. Unknown names are dropped.</summary>
    public DbRow Writable(TableSchema table, DbRow values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values)
        {
            if (table.Column(name) is not { } c || c.Now) continue;
            if (!IsAdmin && c.Primary == 0 && (c.Admin || c.Readonly || c.Hidden || c.Location)) continue;
            row[name] = value;
        }
        return row;
    }

    /// <summary>Non-admins may write only their own rows: in a table with an <c>id</c> column the row's <c>id</c> is
    /// the caller's (filled in when not given), and when <c>id</c> is not part of the key the stored row must be the
    /// caller's too. Tables without an <c>id</c> column have no owner and are open to them under
    /// <c>-api-unsecure data</c>.</summary>
    public async Task CheckOwner(Db db, TableSchema table, DbRow row, CancellationToken cancellationToken)
    {
        if (IsAdmin || table.Column("id") is not { } idColumn) return;
        if (row.GetString("id") is not { Length: > 0 } id) row["id"] = id = Id;
        if (id != Id) throw new ApiException(403, "cannot change another account's record");
        if (idColumn.Primary > 0) return;
        var stored = await db.GetAsync(table.Name, row, new DbOptions { NoProcessRows = true }, cancellationToken);
        if (stored is not null && stored.GetString("id") != Id) throw new ApiException(403, "cannot change another account's record");
    }

    /// <summary>Non-admins may not <c>put</c> (replace the whole row) where the row has columns they cannot write:
    /// the put would clear them.</summary>
    public void CheckPut(TableSchema table)
    {
        if (IsAdmin) return;
        if (table.Columns.Any(c => c.Primary == 0 && (c.Admin || c.Readonly || c.Hidden || c.Location)))
            throw new ApiException(403, $"put would clear columns of {table.Name} only admins may write: use update or replace");
    }
}
