using Backend.Data;
using Backend.Data.Sql;
using Backend.Redis;

namespace Backend.Tests.Drivers.Redis;

/// <summary>Where a select reads from: a PK prefix range, an index range, several ranges for <c>in</c>, or a scan; and
/// whether the source is already in the requested order (then reading stops at count + 1).</summary>
public sealed class RedisPlannerTests
{
    private static readonly TableSchema Table = new("photo",
    [
        new ColumnSchema { Name = "album", Primary = 1 },
        new ColumnSchema { Name = "id", Type = ColumnType.Int, Primary = 2 },
        new ColumnSchema { Name = "name", Index = 1 },
        new ColumnSchema { Name = "owner", Index = 2 },
        new ColumnSchema { Name = "rating", Type = ColumnType.Real, Index = 2 },
        new ColumnSchema { Name = "size", Type = ColumnType.Int },
    ]);

    private static RedisDriver.RangePlan Plan(string? sort, params DbCondition[] conditions) =>
        RedisDriver.Plan(new TableKeys(Table), [.. conditions.Select(c => c)], Table.OrderColumns(new DbOptions { Sort = sort }));

    private static string Source(RedisDriver.RangePlan p) => p.Key.ToString()!;

    [Fact]
    public void No_condition_scans_the_primary_key_in_order()
    {
        var p = Plan(null);
        Assert.Equal("bk:{photo}:pk", Source(p));
        Assert.True(p.Ordered);
        Assert.Null(Assert.Single(p.Ranges).Lower);
    }

    [Fact]
    public void The_first_key_selects_a_prefix_of_the_primary_key()
    {
        var p = Plan(null, new DbCondition("album", DbCompare.Eq, "a"));
        Assert.Equal("bk:{photo}:pk", Source(p));
        Assert.True(p.Ordered);
        var r = Assert.Single(p.Ranges);
        Assert.Equal(RedisLayout.Encode(Table.Column("album")!, "a"), r.Lower);
        Assert.Equal(0xFF, r.Upper![^1]);
        // and the second key narrows it further with a range
        var q = Plan(null, new DbCondition("album", DbCompare.Eq, "a"), new DbCondition("id", DbCompare.Gt, 5L));
        Assert.Equal(3, q.Score);
    }

    [Fact]
    public void An_indexed_column_reads_its_index()
    {
        var p = Plan(null, new DbCondition("name", DbCompare.Eq, "x"));
        Assert.Equal("bk:{photo}:ix:name", Source(p));
        Assert.True(p.Ordered); // name fixed, then the key: the key order
        var q = Plan(null, new DbCondition("owner", DbCompare.Eq, "o"), new DbCondition("rating", DbCompare.Ge, 2.0));
        Assert.Equal("bk:{photo}:ix:owner,rating", Source(q));
        Assert.Equal(3, q.Score);
        Assert.False(q.Ordered); // rating varies: sorted in memory
    }

    [Fact]
    public void Sorting_by_an_indexed_column_streams_from_its_index()
    {
        Assert.Equal("bk:{photo}:ix:name", Source(Plan("name")));
        Assert.True(Plan("name").Ordered);
        var p = Plan("rating", new DbCondition("owner", DbCompare.Eq, "o"));
        Assert.Equal("bk:{photo}:ix:owner,rating", Source(p));
        Assert.True(p.Ordered);
    }

    [Fact]
    public void Sorting_by_a_column_without_an_index_reads_all_and_sorts()
    {
        var p = Plan("size");
        Assert.Equal("bk:{photo}:pk", Source(p));
        Assert.False(p.Ordered);
        Assert.False(Plan("id").Ordered); // the second key alone is not the key order
        Assert.True(Plan("id", new DbCondition("album", DbCompare.Eq, "a")).Ordered);
    }

    [Fact]
    public void A_condition_on_other_columns_scans()
    {
        var p = Plan(null, new DbCondition("size", DbCompare.Gt, 3L), new DbCondition("name", DbCompare.Contains, "x"));
        Assert.Equal("bk:{photo}:pk", Source(p));
        Assert.Equal(0, p.Score);
        Assert.True(p.Ordered);
    }

    [Fact]
    public void In_reads_one_range_per_value()
    {
        var p = Plan(null, new DbCondition("album", DbCompare.In, new List<object?> { "b", "a", null, "b" }));
        Assert.Equal("bk:{photo}:pk", Source(p));
        Assert.Equal(2, p.Ranges.Count);
        Assert.True(RedisLayout.Compare(p.Ranges[0].Upper, p.Ranges[1].Lower) < 0);
        var q = Plan(null, new DbCondition("name", DbCompare.In, new List<object?> { "x", "y" }));
        Assert.Equal("bk:{photo}:ix:name", Source(q));
        Assert.Equal(2, q.Ranges.Count);
        var many = Plan(null, new DbCondition("album", DbCompare.In, Enumerable.Range(0, RedisDriver.MaxInRanges + 1).Select(i => (object?)$"a{i}").ToList()));
        Assert.Single(many.Ranges);
    }

    [Fact]
    public void A_range_on_a_text_key_excludes_nulls_and_begins_with_uses_the_prefix()
    {
        var lt = Plan(null, new DbCondition("name", DbCompare.Lt, "m"));
        Assert.Equal(new byte[] { RedisLayout.ValueMark }, Assert.Single(lt.Ranges).Lower);
        var bw = Plan(null, new DbCondition("name", DbCompare.BeginsWith, "ab"));
        Assert.Equal(new byte[] { RedisLayout.ValueMark, (byte)'a', (byte)'b' }, Assert.Single(bw.Ranges).Lower);
        Assert.Equal(new byte[] { RedisLayout.ValueMark, (byte)'a', (byte)'b', 0xFF }, bw.Ranges[0].Upper);
    }
}
