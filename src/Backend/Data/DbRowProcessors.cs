using System.Collections.Concurrent;

namespace Backend.Data;

/// <summary>The row processors of the <see cref="Db"/> facade (the reference's <c>db.setProcessRow</c>): functions run on
/// every row a read returns from a table, unless the call says <see cref="DbOptions.NoProcessRows"/>.</summary>
internal sealed class DbRowProcessors
{
    private readonly ConcurrentDictionary<string, DbRowProcessor[]> _processors = new(StringComparer.Ordinal);

    public void Add(string table, DbRowProcessor processor) =>
        _processors.AddOrUpdate(table, [processor], (_, list) => [.. list, processor]);

    public void Run(DbRequest request, List<DbRow> rows)
    {
        if (request.Options.NoProcessRows || !_processors.TryGetValue(request.Table.Name, out var list)) return;
        foreach (var row in rows)
            foreach (var p in list) p(row, request.Options, request.Table);
    }

    public void Run(DbRequest request, DbRow row)
    {
        if (request.Options.NoProcessRows || !_processors.TryGetValue(request.Table.Name, out var list)) return;
        foreach (var p in list) p(row, request.Options, request.Table);
    }
}
