using Backend.Data;
using Backend.Redis;

namespace Backend.Tests.Drivers.Redis;

/// <summary>The write a request becomes, and the names the write script reads for each (no server needed).</summary>
public sealed class RedisWriteOpTests
{
    private static readonly TableSchema Table = new("t", [new ColumnSchema { Name = "id", Primary = 1 }]);

    private static DbRequest Request(DbOperation op, DbOptions? options = null) => new() { Operation = op, Table = Table, Options = options ?? new DbOptions() };

    [Theory]
    [InlineData(DbOperation.Add, false, nameof(RedisWriteOp.Add))]
    [InlineData(DbOperation.Put, false, nameof(RedisWriteOp.Put))]
    [InlineData(DbOperation.Update, false, nameof(RedisWriteOp.Update))]
    [InlineData(DbOperation.Replace, false, nameof(RedisWriteOp.Replace))]
    [InlineData(DbOperation.Incr, false, nameof(RedisWriteOp.Incr))]
    [InlineData(DbOperation.Incr, true, nameof(RedisWriteOp.IncrExisting))]
    [InlineData(DbOperation.Del, false, nameof(RedisWriteOp.Del))]
    // NoUpsert only changes an Incr (the facade sets it for nothing else, but an Update stays an Update regardless).
    [InlineData(DbOperation.Update, true, nameof(RedisWriteOp.Update))]
    // The expected write by name: RedisWriteOp is internal, so it cannot be a parameter of a public test method.
    public void A_request_is_decided_once_into_a_write(DbOperation operation, bool noUpsert, string expected) =>
        Assert.Equal(Enum.Parse<RedisWriteOp>(expected), RedisWriteOps.Of(Request(operation, new DbOptions { NoUpsert = noUpsert })));

    [Theory]
    [InlineData(DbOperation.Get)]
    [InlineData(DbOperation.Select)]
    [InlineData(DbOperation.UpdateAll)]
    public void Other_operations_are_not_writes(DbOperation operation) =>
        Assert.Equal(DbErrorKind.BadInput, Assert.Throws<DbException>(() => RedisWriteOps.Of(Request(operation))).Kind);

    [Fact]
    public void Every_write_has_its_own_name_and_the_script_reads_each()
    {
        var names = Enum.GetValues<RedisWriteOp>().Select(op => (string)RedisWriteOps.Token(op)!).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        // The script compares each name as a Lua string literal; a name it never compares would be silently ignored.
        foreach (var name in names) Assert.Contains($"'{name}'", RedisScripts.Write, StringComparison.Ordinal);
    }

    [Fact]
    public void The_section_rules_follow_the_write()
    {
        Assert.Equal([RedisWriteOp.Del], Enum.GetValues<RedisWriteOp>().Where(op => !RedisWriteOps.WritesColumns(op)));
        Assert.Equal([RedisWriteOp.Update, RedisWriteOp.Replace, RedisWriteOp.Incr, RedisWriteOp.IncrExisting], Enum.GetValues<RedisWriteOp>().Where(RedisWriteOps.IsPartial));
        Assert.Equal([RedisWriteOp.Incr, RedisWriteOp.IncrExisting], Enum.GetValues<RedisWriteOp>().Where(RedisWriteOps.AddsToCounters));
    }
}
