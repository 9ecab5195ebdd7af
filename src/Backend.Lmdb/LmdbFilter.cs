using Backend.Data;

namespace Backend.Lmdb;

/// <summary>Conditions and ordering evaluated in the driver, with the SQL drivers' semantics: a comparison with NULL
/// matches nothing, <c>= null</c> (and &lt;, &gt;, ... with null, as the SQL builder writes them) is IS NULL,
/// <c>!= null</c> is IS NOT NULL; text compares in code point order (SQLite's BINARY collation); NULL sorts first.</summary>
internal static class LmdbFilter
{
    /// <summary>Rewrites comparisons with a null value to the IS NULL / IS NOT NULL they mean.</summary>
    public static DbCondition Normalize(DbCondition c) => c.Value is null && c.Op is DbCompare.Gt or DbCompare.Ge or DbCompare.Lt or DbCompare.Le
        ? c with { Op = DbCompare.Eq }
        : c;

    /// <summary>True when the row satisfies every condition.</summary>
    public static bool Matches(DbRow row, IReadOnlyList<DbCondition> conditions)
    {
        foreach (var c in conditions)
            if (!Matches(row.GetValueOrDefault(c.Column), c)) return false;
        return true;
    }

    private static bool Matches(object? v, DbCondition c)
    {
        switch (c.Op)
        {
            case DbCompare.In:
                return v is not null && c.Value is IEnumerable<object?> items && items.Any(x => x is not null && Compare(v, x) == 0);
            case DbCompare.Between:
                return v is not null && c.Value is IReadOnlyList<object?> { Count: 2 } r && r[0] is { } lo && r[1] is { } hi
                    && Compare(v, lo) >= 0 && Compare(v, hi) <= 0;
            case DbCompare.BeginsWith:
                return v is not null && LmdbKeys.Stored(v).StartsWith(DbValues.ToText(c.Value) ?? "", StringComparison.Ordinal);
            case DbCompare.Contains:
                return v is not null && LmdbKeys.Stored(v).Contains(DbValues.ToText(c.Value) ?? "", StringComparison.Ordinal);
            case DbCompare.Like:
                return v is not null && Like(LmdbKeys.Stored(v), DbValues.ToText(c.Value) ?? "");
        }
        if (c.Value is null) return c.Op == DbCompare.Ne ? v is not null : v is null;
        if (v is null) return false;
        var cmp = Compare(v, c.Value);
        return c.Op switch
        {
            DbCompare.Ne => cmp != 0,
            DbCompare.Gt => cmp > 0,
            DbCompare.Ge => cmp >= 0,
            DbCompare.Lt => cmp < 0,
            DbCompare.Le => cmp <= 0,
            _ => cmp == 0,
        };
    }

    /// <summary>Order of two values of one column; NULL first.</summary>
    public static int Compare(object? a, object? b)
    {
        if (a is null) return b is null ? 0 : -1;
        if (b is null) return 1;
        return (a, b) switch
        {
            (string x, string y) => CompareText(x, y),
            (long x, long y) => x.CompareTo(y),
            (double x, double y) => x == y ? 0 : x.CompareTo(y),
            (long x, double y) => ((double)x).CompareTo(y),
            (double x, long y) => x.CompareTo((double)y),
            (bool x, bool y) => x.CompareTo(y),
            _ => CompareText(LmdbKeys.Stored(a), LmdbKeys.Stored(b)),
        };
    }

    /// <summary>Compares the ordering values of a row with a tuple (a paging token): negative, 0 or positive.</summary>
    public static int Compare(DbRow row, IReadOnlyList<ColumnSchema> order, IReadOnlyList<object?> values)
    {
        for (var i = 0; i < order.Count; i++)
        {
            var c = Compare(row.GetValueOrDefault(order[i].Name), values[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    /// <summary>A row comparer over ordering columns (all descending when <paramref name="desc"/>).</summary>
    public static Comparison<DbRow> Comparer(IReadOnlyList<ColumnSchema> order, bool desc) => (a, b) =>
    {
        foreach (var c in order)
        {
            var r = Compare(a.GetValueOrDefault(c.Name), b.GetValueOrDefault(c.Name));
            if (r != 0) return desc ? -r : r;
        }
        return 0;
    };

    /// <summary>Ordinal comparison in Unicode code point order (= UTF-8 byte order), not UTF-16 unit order.</summary>
    public static int CompareText(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            int x = a[i], y = b[i];
            if (x == y) continue;
            if (x >= 0xD800 && y >= 0xD800)
            {
                x = x >= 0xE000 ? x - 0x800 : x + 0x2000;
                y = y >= 0xE000 ? y - 0x800 : y + 0x2000;
            }
            return x < y ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }

    /// <summary>SQL LIKE as SQLite evaluates it: <c>%</c> any run of characters, <c>_</c> one character, ASCII
    /// letters case-insensitive, no escape character.</summary>
    public static bool Like(string text, string pattern)
    {
        var t = Runes(text);
        var p = Runes(pattern);
        int ti = 0, pi = 0, star = -1, mark = 0;
        while (ti < t.Length)
        {
            if (pi < p.Length && p[pi] == '%')
            {
                star = pi++;
                mark = ti;
            }
            else if (pi < p.Length && (p[pi] == '_' || Fold(p[pi]) == Fold(t[ti])))
            {
                pi++;
                ti++;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                ti = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (pi < p.Length && p[pi] == '%') pi++;
        return pi == p.Length;
    }

    private static int[] Runes(string s)
    {
        var list = new List<int>(s.Length);
        foreach (var r in s.EnumerateRunes()) list.Add(r.Value);
        return [.. list];
    }

    private static int Fold(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;
}
