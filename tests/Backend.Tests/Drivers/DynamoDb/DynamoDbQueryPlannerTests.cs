using System.Text.RegularExpressions;
using Backend.Data;
using Backend.DynamoDb;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>The decisions of the query planner, without a server: which request a read becomes (table Query, index
/// Query, Scan, nothing), what goes into the key condition, the filter expression, and what is checked in memory.
/// Expressions are compared with their placeholders resolved (<c>#_n0</c> to the attribute, <c>:_v0</c> to the value).</summary>
public sealed partial class DynamoDbQueryPlannerTests
{
    /// <summary>A table with a hash and a range key.</summary>
    private static readonly DynamoDbTable Pairs = DynamoDbTable.For(new TableSchema("plan_pairs",
    [
        new ColumnSchema { Name = "a", Primary = 1 },
        new ColumnSchema { Name = "b", Type = ColumnType.Int, Primary = 2 },
        new ColumnSchema { Name = "v" },
        new ColumnSchema { Name = "w", Type = ColumnType.Int },
        new ColumnSchema { Name = "flag", Type = ColumnType.Bool },
    ]));

    /// <summary>A table with three global secondary indexes: (account, mtime) whose range key is a <c>now</c> column
    /// (in every row), (kind, n) whose range key may be missing, and (active) without a range key.</summary>
    private static readonly DynamoDbTable Events = DynamoDbTable.For(new TableSchema("plan_events",
    [
        new ColumnSchema { Name = "id", Primary = 1 },
        new ColumnSchema { Name = "account", Index = 1 },
        new ColumnSchema { Name = "mtime", Type = ColumnType.BigInt, Now = true, Index = 1 },
        new ColumnSchema { Name = "kind", Index = 2 },
        new ColumnSchema { Name = "n", Type = ColumnType.Int, Index = 2 },
        new ColumnSchema { Name = "active", Type = ColumnType.Bool, Index = 3 },
        new ColumnSchema { Name = "note" },
    ]));

    private static GlobalIndex IndexOn(DynamoDbTable t, string hash) => t.Indexes.Single(i => i.Hash == hash);

    private static HashSet<string> AllActive(DynamoDbTable t) => t.Indexes.Select(i => i.Name).ToHashSet();

    private static DynamoDbQueryPlan Plan(DynamoDbTable t, params DbCondition[] conditions) => Plan(t, AllActive(t), conditions);

    private static DynamoDbQueryPlan Plan(DynamoDbTable t, IReadOnlySet<string> active, params DbCondition[] conditions) =>
        new DynamoDbQueryPlanner(t, active).Plan(conditions, null);

    private static DbCondition C(string column, DbCompare op, object? value) => new(column, op, value);

    /// <summary>The expression with every placeholder replaced by its attribute name or value ('text', numbers, bools as is).</summary>
    private static string? Readable(DynamoDbQueryPlan p, string? expression)
    {
        if (expression is null) return null;
        return Placeholder().Replace(expression, m =>
        {
            if (m.Value[0] == '#') return p.Expressions.Names![m.Value];
            var v = p.Expressions.Values![m.Value];
            return v.S is not null ? $"'{v.S}'" : v.N ?? (v.BOOL is bool b ? b.ToString() : "?");
        });
    }

    [GeneratedRegex(@"#_n\d+|:_v\d+")]
    private static partial Regex Placeholder();

    [Fact]
    public void An_equality_on_the_hash_key_queries_the_table()
    {
        var p = Plan(Pairs, C("a", DbCompare.Eq, "x"));
        Assert.Equal(DynamoDbRead.TableQuery, p.Read);
        Assert.Null(p.Index);
        Assert.Equal("a = 'x'", Readable(p, p.KeyCondition));
        Assert.Equal("x", p.HashValue);
        Assert.Null(p.Filter);
        Assert.Empty(p.Memory);
    }

    [Fact]
    public void One_range_key_condition_joins_the_key_condition_and_the_others_on_the_key_are_checked_in_memory()
    {
        var p = Plan(Pairs, C("a", DbCompare.Eq, "x"), C("b", DbCompare.Ge, 5L), C("b", DbCompare.Lt, 10L));
        Assert.Equal(DynamoDbRead.TableQuery, p.Read);
        Assert.Equal("a = 'x' AND b >= 5", Readable(p, p.KeyCondition));
        // A Query's filter cannot name the key attributes.
        Assert.Null(p.Filter);
        Assert.Equal([C("b", DbCompare.Lt, 10L)], p.Memory);
        Assert.False(p.Matches(new DbRow { ["a"] = "x", ["b"] = 10L }));
        Assert.True(p.Matches(new DbRow { ["a"] = "x", ["b"] = 9L }));
    }

    [Fact]
    public void A_range_condition_a_key_condition_cannot_hold_is_checked_in_memory()
    {
        // begins_with on a number key and <> are not key conditions; they cannot be in the filter either.
        var p = Plan(Pairs, C("a", DbCompare.Eq, "x"), C("b", DbCompare.Ne, 3L), C("b", DbCompare.BeginsWith, "1"));
        Assert.Equal("a = 'x'", Readable(p, p.KeyCondition));
        Assert.Null(p.Filter);
        Assert.Equal(2, p.Memory.Count);
    }

    [Fact]
    public void Conditions_on_other_columns_become_the_filter()
    {
        var p = Plan(Pairs, C("a", DbCompare.Eq, "x"), C("v", DbCompare.Eq, "p"), C("w", DbCompare.Ne, 3L), C("flag", DbCompare.Eq, null));
        Assert.Equal(DynamoDbRead.TableQuery, p.Read);
        Assert.Equal("v = 'p' AND (attribute_exists(w) AND w <> 3) AND attribute_not_exists(flag)", Readable(p, p.Filter));
        Assert.Empty(p.Memory);
    }

    [Fact]
    public void What_a_filter_cannot_express_is_checked_in_memory()
    {
        // Ordering of a bool attribute (BOOL has no order in DynamoDB) and begins_with on a number.
        var p = Plan(Pairs, C("flag", DbCompare.Gt, false), C("w", DbCompare.BeginsWith, "1"), C("v", DbCompare.Contains, "q"));
        Assert.Equal(DynamoDbRead.Scan, p.Read);
        Assert.Equal("contains(v, 'q')", Readable(p, p.Filter));
        Assert.Equal([C("flag", DbCompare.Gt, false), C("w", DbCompare.BeginsWith, "1")], p.Memory);
    }

    [Fact]
    public void Without_an_equality_on_a_hash_key_the_table_is_scanned()
    {
        // Neither an IN on the hash key, nor an equality with NULL or the empty string (no key holds them) is a key condition.
        foreach (var c in new[] { C("a", DbCompare.In, new List<object?> { "x", "y" }), C("a", DbCompare.Eq, null), C("b", DbCompare.Eq, 1L), C("a", DbCompare.Gt, "x") })
        {
            var p = Plan(Pairs, c);
            Assert.Equal(DynamoDbRead.Scan, p.Read);
            Assert.False(p.IsQuery);
            Assert.Null(p.KeyCondition);
            Assert.NotNull(p.Filter);
            Assert.Empty(p.Memory);
        }
        var list = Plan(Pairs, C("a", DbCompare.In, new List<object?> { "x", "y" }));
        Assert.Equal("a IN ('x', 'y')", Readable(list, list.Filter));
        var empty = Plan(Pairs, C("a", DbCompare.Eq, ""));
        Assert.Equal(DynamoDbRead.Scan, empty.Read);
        var none = Plan(Pairs);
        Assert.Equal(DynamoDbRead.Scan, none.Read);
        Assert.Null(none.Filter);
    }

    [Fact]
    public void An_equality_on_an_active_index_hash_column_queries_the_index()
    {
        var p = Plan(Events, C("account", DbCompare.Eq, "acc1"), C("note", DbCompare.Eq, "n"));
        Assert.Equal(DynamoDbRead.IndexQuery, p.Read);
        Assert.Same(IndexOn(Events, "account"), p.Index);
        Assert.Equal("account = 'acc1'", Readable(p, p.KeyCondition));
        Assert.Equal("note = 'n'", Readable(p, p.Filter));
        // The index's range key takes a condition too.
        var q = Plan(Events, C("account", DbCompare.Eq, "acc1"), C("mtime", DbCompare.Gt, 100L));
        Assert.Equal("account = 'acc1' AND mtime > 100", Readable(q, q.KeyCondition));
        // An index without a range key.
        var r = Plan(Events, C("active", DbCompare.Eq, true));
        Assert.Same(IndexOn(Events, "active"), r.Index);
        Assert.Equal("active = 1", Readable(r, r.KeyCondition));
    }

    [Fact]
    public void An_index_that_is_not_active_yet_is_not_queried()
    {
        var active = AllActive(Events).Where(n => n != IndexOn(Events, "account").Name).ToHashSet();
        var p = Plan(Events, active, C("account", DbCompare.Eq, "acc1"));
        Assert.Equal(DynamoDbRead.Scan, p.Read);
        Assert.Null(p.Index);
        Assert.Equal("account = 'acc1'", Readable(p, p.Filter));
        Assert.Equal(DynamoDbRead.Scan, Plan(Events, new HashSet<string>(), C("active", DbCompare.Eq, true)).Read);
    }

    [Fact]
    public void An_index_whose_range_key_a_row_may_lack_is_queried_only_when_a_condition_excludes_such_rows()
    {
        // n may be missing, and rows without it are not in the (kind, n) index: querying it would lose them.
        Assert.Equal(DynamoDbRead.Scan, Plan(Events, C("kind", DbCompare.Eq, "k1")).Read);
        Assert.Equal(DynamoDbRead.Scan, Plan(Events, C("kind", DbCompare.Eq, "k1"), C("n", DbCompare.Eq, null)).Read);
        var p = Plan(Events, C("kind", DbCompare.Eq, "k1"), C("n", DbCompare.Lt, 10L));
        Assert.Equal(DynamoDbRead.IndexQuery, p.Read);
        Assert.Same(IndexOn(Events, "kind"), p.Index);
        Assert.Equal("kind = 'k1' AND n < 10", Readable(p, p.KeyCondition));
        // <> excludes rows without n but is no key condition: the index is queried, n checked in memory.
        var q = Plan(Events, C("kind", DbCompare.Eq, "k1"), C("n", DbCompare.Ne, 3L));
        Assert.Same(IndexOn(Events, "kind"), q.Index);
        Assert.Equal("kind = 'k1'", Readable(q, q.KeyCondition));
        Assert.Equal([C("n", DbCompare.Ne, 3L)], q.Memory);
    }

    [Fact]
    public void Among_usable_indexes_one_whose_range_key_takes_a_condition_wins_else_the_first_described()
    {
        var p = Plan(Events, C("account", DbCompare.Eq, "acc1"), C("kind", DbCompare.Eq, "k1"), C("n", DbCompare.Ge, 2L));
        Assert.Same(IndexOn(Events, "kind"), p.Index);
        Assert.Equal("kind = 'k1' AND n >= 2", Readable(p, p.KeyCondition));
        Assert.Equal("account = 'acc1'", Readable(p, p.Filter));
        // Both with a range condition: the first in description order.
        var q = Plan(Events, C("active", DbCompare.Eq, true), C("kind", DbCompare.Eq, "k1"), C("n", DbCompare.Ge, 2L), C("account", DbCompare.Eq, "acc1"), C("mtime", DbCompare.Gt, 5L));
        Assert.Same(IndexOn(Events, "account"), q.Index);
        // Neither: the first usable one.
        var r = Plan(Events, C("active", DbCompare.Eq, false), C("account", DbCompare.Eq, "acc1"));
        Assert.Same(IndexOn(Events, "account"), r.Index);
    }

    [Fact]
    public void The_hash_key_wins_over_an_index()
    {
        var p = Plan(Events, C("account", DbCompare.Eq, "acc1"), C("id", DbCompare.Eq, "e1"));
        Assert.Equal(DynamoDbRead.TableQuery, p.Read);
        Assert.Null(p.Index);
        Assert.Equal("id = 'e1'", Readable(p, p.KeyCondition));
        Assert.Equal("account = 'acc1'", Readable(p, p.Filter));
    }

    [Fact]
    public void The_state_of_the_indexes_is_needed_only_without_a_hash_key_equality()
    {
        Assert.True(DynamoDbQueryPlanner.NeedsActiveIndexes(Events, [C("account", DbCompare.Eq, "acc1")]));
        Assert.True(DynamoDbQueryPlanner.NeedsActiveIndexes(Events, []));
        Assert.False(DynamoDbQueryPlanner.NeedsActiveIndexes(Events, [C("account", DbCompare.Eq, "acc1"), C("id", DbCompare.Eq, "e1")]));
        Assert.False(DynamoDbQueryPlanner.NeedsActiveIndexes(Events, [C("account", DbCompare.In, new List<object?>())]));
        Assert.False(DynamoDbQueryPlanner.NeedsActiveIndexes(Pairs, [C("v", DbCompare.Eq, "p")]));
    }

    [Fact]
    public void A_condition_no_row_matches_reads_nothing()
    {
        Assert.Equal(DynamoDbRead.Nothing, Plan(Pairs, C("a", DbCompare.Eq, "x"), C("w", DbCompare.In, new List<object?>())).Read);
        Assert.Equal(DynamoDbRead.Nothing, Plan(Pairs, C("w", DbCompare.Between, new List<object?> { 5L, 1L })).Read);
        Assert.Equal(DynamoDbRead.Scan, Plan(Pairs, C("w", DbCompare.Between, new List<object?> { 1L, 5L })).Read);
    }

    [Fact]
    public void Like_is_refused()
    {
        var ex = Assert.Throws<DbException>(() => Plan(Pairs, C("a", DbCompare.Eq, "x"), C("v", DbCompare.Like, "p%")));
        Assert.Equal(DbErrorKind.BadInput, ex.Kind);
        Assert.Contains("like", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_native_filter_is_added_to_the_filter()
    {
        var native = new DbNativeQuery("#v = @p OR #w > :q", new Dictionary<string, object?> { ["p"] = "x", ["q"] = 4L });
        var p = new DynamoDbQueryPlanner(Pairs, AllActive(Pairs)).Plan([C("a", DbCompare.Eq, "x"), C("flag", DbCompare.Eq, true)], native);
        Assert.Equal(DynamoDbRead.TableQuery, p.Read);
        Assert.Equal("flag = True AND (#v = :p OR #w > :q)", Readable(p, p.Filter));
        Assert.Equal("v", p.Expressions.Names!["#v"]);
        Assert.Equal("x", p.Expressions.Values![":p"].S);
        Assert.Equal("4", p.Expressions.Values![":q"].N);
    }

    [Fact]
    public void Only_a_table_query_comes_in_the_order_of_a_select_on_the_key()
    {
        var table = Plan(Pairs, C("a", DbCompare.Eq, "x"));
        Assert.True(table.InKeyOrder(null));
        Assert.True(table.InKeyOrder("b"));
        Assert.True(table.InKeyOrder("a"));
        Assert.True(table.InKeyOrder("no_such_column")); // an unknown sort column is no sort
        Assert.False(table.InKeyOrder("v"));
        Assert.False(Plan(Events, C("account", DbCompare.Eq, "acc1")).InKeyOrder(null));
        Assert.False(Plan(Pairs, C("v", DbCompare.Eq, "p")).InKeyOrder(null));
    }
}
