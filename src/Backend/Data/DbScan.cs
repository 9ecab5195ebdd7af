using System.Runtime.CompilerServices;

namespace Backend.Data;

/// <summary>The scan of the <see cref="Db"/> facade: every row matching a query, read page by page through Select and
/// its paging tokens, so a scan holds one page in memory and works the same on every driver.</summary>
internal static class DbScan
{
    /// <summary>Rows per page when the options do not say.</summary>
    public const int DefaultPage = 100;

    public static async IAsyncEnumerable<DbRow> RowsAsync(Db db, string table, object? query, DbOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var page = FirstPage(options ?? DbOptions.None);
        while (true)
        {
            var result = await db.SelectAsync(table, query, page, cancellationToken);
            foreach (var row in result.Rows) yield return row;
            if (result.NextToken.Length == 0) yield break;
            page.Start = result.NextToken;
        }
    }

    /// <summary>The caller's options as a page of its own, which the scan then moves along (the caller's stay as given).</summary>
    private static DbOptions FirstPage(DbOptions options)
    {
        var page = options.Clone();
        page.Count = options.Count ?? DefaultPage;
        return page;
    }
}
