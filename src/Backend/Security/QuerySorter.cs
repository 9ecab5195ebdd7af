using System.Buffers;

namespace Backend.Security;

/// <summary>
/// Canonical query for the string to sign, written straight into a <see cref="CharBuffer"/>: the items are
/// sorted as ranges of the raw query so no substring is ever allocated.
/// </summary>
internal static class QuerySorter
{
    // The 2014 server dropped any item *starting* with this (x.substr(0, 12) != "bk-signature").
    private const string SignatureParameter = "bk-signature";

    private const int StackItems = 64;
    private const int InsertionSortLimit = 32;

    public static void AppendSorted(ref CharBuffer buffer, string rawQuery)
    {
        if (rawQuery.Length == 0)
            return;

        var query = rawQuery.AsSpan();
        var max = query.Count('&') + 1;
        Range[]? rented = null;
        Span<Range> items = max <= StackItems ? stackalloc Range[StackItems] : (rented = ArrayPool<Range>.Shared.Rent(max));
        try
        {
            var count = 0;
            foreach (var range in query.Split('&'))
            {
                var item = query[range];
                if (item.IsEmpty || item.StartsWith(SignatureParameter, StringComparison.Ordinal))
                    continue;
                items[count++] = range;
            }

            var kept = items[..count];
            Sort(kept, rawQuery);
            for (var i = 0; i < kept.Length; i++)
            {
                if (i > 0)
                    buffer.Append('&');
                buffer.Append(query[kept[i]]);
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<Range>.Shared.Return(rented);
        }
    }

    // Span.Sort boxes the comparer and wraps it in a delegate; typical queries are short enough for an
    // allocation-free insertion sort, and only long ones pay for the general sort.
    private static void Sort(Span<Range> items, string source)
    {
        var comparer = new SliceComparer(source);
        if (items.Length > InsertionSortLimit)
        {
            items.Sort(comparer);
            return;
        }
        for (var i = 1; i < items.Length; i++)
        {
            var item = items[i];
            var j = i - 1;
            for (; j >= 0 && comparer.Compare(items[j], item) > 0; j--)
                items[j + 1] = items[j];
            items[j + 1] = item;
        }
    }

    // Ordinal UTF-16 code-unit order, which is what JavaScript's Array.prototype.sort() uses for strings.
    private readonly struct SliceComparer(string source) : IComparer<Range>
    {
        public int Compare(Range x, Range y) => source.AsSpan()[x].SequenceCompareTo(source.AsSpan()[y]);
    }
}
