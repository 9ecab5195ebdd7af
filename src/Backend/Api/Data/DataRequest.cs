using Backend.Data;
using Backend.Http;

namespace Backend.Api.Data;

/// <summary>One <c>/data/OP/TABLE</c> call once the caller, the table and the options are known.</summary>
internal sealed record DataRequest(ApiRequest Api, DataCaller Caller, Db Db, TableSchema Table, DbOptions Options)
{
    /// <summary>The request's values of known columns of the table (unknown parameters are ignored, as everywhere).</summary>
    public DbRow Values()
    {
        var row = new DbRow();
        foreach (var (name, value) in Api.Columns())
            if (Table.HasColumn(name)) row[name] = value;
        return row;
    }
}
