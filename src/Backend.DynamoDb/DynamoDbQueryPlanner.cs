using Backend.Data;

namespace Backend.DynamoDb;

/// <summary>The request a read becomes.</summary>
internal enum DynamoDbRead
{
    /// <summary>No request: a condition no row can match (an empty <c>in</c>, a <c>between</c> the wrong way round).</summary>
    Nothing,

    /// <summary>A Query of the table by its hash key.</summary>
    TableQuery,

    /// <summary>A Query of a global secondary index by its hash key (eventually consistent).</summary>
    IndexQuery,

    /// <summary>A Scan of the whole table.</summary>
    Scan,
}

/// <summary>How a read is done, as <see cref="DynamoDbQueryPlanner"/> decided it: the request, the key condition, the
/// filter expression, and the conditions checked in memory on every row that comes back.</summary>
internal sealed class DynamoDbQueryPlan
{
    public required DynamoDbTable Table { get; init; }

    /// <summary>The placeholders of <see cref="KeyCondition"/> and <see cref="Filter"/>; the readers add the projection's.</summary>
    public required Expressions Expressions { get; init; }

    public required DynamoDbRead Read { get; init; }

    /// <summary>The queried index of an <see cref="DynamoDbRead.IndexQuery"/>, else null.</summary>
    public GlobalIndex? Index { get; init; }

    /// <summary>The KeyConditionExpression of a Query: the hash key equality, and a range key condition when one is usable.</summary>
    public string? KeyCondition { get; init; }

    /// <summary>The FilterExpression, or null.</summary>
    public string? Filter { get; init; }

    /// <summary>The equality value of the queried hash key.</summary>
    public object? HashValue { get; init; }

    /// <summary>The conditions DynamoDB cannot check where the plan reads, checked on each decoded row.</summary>
    public required IReadOnlyList<DbCondition> Memory { get; init; }

    public bool IsQuery => Read is DynamoDbRead.TableQuery or DynamoDbRead.IndexQuery;

    public bool Matches(DbRow row)
    {
        foreach (var c in Memory)
            if (!Conditions.Matches(row, c, Table.Column(c.Column))) return false;
        return true;
    }

    /// <summary>True when the rows come back in the order of a select sorted by <paramref name="sort"/>, so it can page
    /// natively (stop after count + 1 rows, continue from the token's key): a table Query comes in key order, which is
    /// the select's order with no sort or a sort on a key column. An index Query or a Scan has no usable order.</summary>
    public bool InKeyOrder(string? sort) =>
        Read == DynamoDbRead.TableQuery && (sort is null || !Table.Schema.HasColumn(sort) || Table.Schema.PrimaryKeys.Contains(sort));
}

/// <summary>Chooses how to read the rows matching a select's conditions (and the native filter of a Search), from the
/// table's description and the state of its indexes alone (no I/O, so every decision can be tested without a server):
/// <list type="number">
/// <item>a condition no row matches: no request;</item>
/// <item>an equality on the hash key: Query the table (a range key condition becomes part of the key condition);</item>
/// <item>else an equality on the hash column of an active index: Query that index; when the index has a range key,
/// only if every matching row has that attribute (it is a key or <c>now</c> column, or a condition on it excludes
/// NULL), because rows without it are not in the index; among several, one whose range key takes a condition;</item>
/// <item>else Scan.</item>
/// </list>
/// Other conditions become the filter expression; those DynamoDB cannot express there (the queried key's own columns,
/// begins_with on numbers, ordering of bools) are checked in memory.</summary>
internal sealed class DynamoDbQueryPlanner(DynamoDbTable table, IReadOnlySet<string> activeIndexes)
{
    /// <summary>True when the plan of these conditions depends on which indexes are active, so the driver reads their
    /// state (a DescribeTable when it did not create the table) only then.</summary>
    public static bool NeedsActiveIndexes(DynamoDbTable table, IReadOnlyList<DbCondition> conditions) =>
        table.Indexes.Count > 0 && HashEquality(conditions, table.Hash) is null
        && !conditions.Any(c => c.Op == DbCompare.Like || Conditions.MatchesNothing(c));

    /// <summary>The equality usable as a hash key condition on the column (a key value: not NULL, not empty), or null.</summary>
    private static DbCondition? HashEquality(IEnumerable<DbCondition> conditions, string column) =>
        conditions.FirstOrDefault(c => c.Column == column && c.Op == DbCompare.Eq && Conditions.IsKeyValue(c.Value));

    /// <summary>The plan of the conditions; a 400 for <c>like</c>, which DynamoDB has no way to check.</summary>
    public DynamoDbQueryPlan Plan(IReadOnlyList<DbCondition> conditions, DbNativeQuery? native)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var t = table;
        if (conditions.FirstOrDefault(c => c.Op == DbCompare.Like) is { } like)
            throw new DbException(DbErrorKind.BadInput, $"{t.Name}: the like operator is not supported on dynamodb (on {like.Column}); use begins_with or contains");
        var e = new Expressions();
        if (conditions.Any(Conditions.MatchesNothing)) return new DynamoDbQueryPlan { Table = t, Expressions = e, Read = DynamoDbRead.Nothing, Memory = [] };

        var byColumn = conditions.GroupBy(c => c.Column).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        string? hash = null, range = null;
        GlobalIndex? index = null;
        if (HashEquality(conditions, t.Hash) is not null)
        {
            hash = t.Hash;
            range = t.Range;
        }
        else if ((index = ChooseIndex(conditions, byColumn)) is not null)
        {
            hash = index.Hash;
            range = index.Range;
        }

        var filters = new List<string>();
        var memory = new List<DbCondition>();
        string? key = null;
        object? hashValue = null;
        var used = new HashSet<DbCondition>();
        if (hash is not null)
        {
            var h = HashEquality(conditions, hash)!;
            used.Add(h);
            hashValue = h.Value;
            key = $"{e.Name(hash)} = {e.Value(t.Encode(hash, h.Value)!)}";
            if (range is not null)
            {
                foreach (var c in byColumn.GetValueOrDefault(range) ?? [])
                {
                    if (Conditions.RangeKey(t, c, e) is not { } rk) continue;
                    key += " AND " + rk;
                    used.Add(c);
                    break;
                }
            }
        }
        foreach (var c in conditions)
        {
            if (used.Contains(c)) continue;
            // A Query's filter cannot name the queried key's attributes.
            if (hash is not null && (c.Column == hash || c.Column == range)) memory.Add(c);
            else if (Conditions.Filter(t, c, e) is { } f) filters.Add(f);
            else memory.Add(c);
        }
        if (native is not null && !string.IsNullOrWhiteSpace(native.Text)) filters.Add("(" + Conditions.Native(native, e) + ")");
        return new DynamoDbQueryPlan
        {
            Table = t,
            Expressions = e,
            Read = hash is null ? DynamoDbRead.Scan : index is null ? DynamoDbRead.TableQuery : DynamoDbRead.IndexQuery,
            Index = index,
            KeyCondition = key,
            HashValue = hashValue,
            Filter = filters.Count > 0 ? string.Join(" AND ", filters) : null,
            Memory = memory,
        };
    }

    /// <summary>The active index to query when the table's hash key has no equality: one with an equality on its hash
    /// column that holds every matching row, preferring (then the first in description order) one whose range key
    /// takes a condition; null when there is none.</summary>
    private GlobalIndex? ChooseIndex(IReadOnlyList<DbCondition> conditions, Dictionary<string, List<DbCondition>> byColumn)
    {
        var t = table;
        GlobalIndex? index = null;
        var best = -1;
        foreach (var i in t.Indexes)
        {
            if (!activeIndexes.Contains(i.Name) || HashEquality(conditions, i.Hash) is null) continue;
            var rangeConditions = i.Range is null ? [] : byColumn.GetValueOrDefault(i.Range) ?? [];
            // Rows without the range attribute are not in the index: it holds every match only when none can lack it.
            if (i.Range is not null && !t.AlwaysPresent(i.Range) && !rangeConditions.Any(Conditions.ExcludesNull)) continue;
            var score = rangeConditions.Any(c => Conditions.RangeKey(t, c, new Expressions()) is not null) ? 2 : 1;
            if (score <= best) continue;
            best = score;
            index = i;
        }
        return index;
    }
}
