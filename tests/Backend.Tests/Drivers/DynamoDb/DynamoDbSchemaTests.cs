using Amazon.DynamoDBv2.Model;
using Backend.Configuration;
using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Tables and indexes at start-up: creation, upgrades, and descriptions DynamoDB cannot hold.</summary>
public sealed class DynamoDbSchemaTests(DynamoDbTarget target) : DynamoDbTestBase(target)
{
    [Fact]
    public async Task Tables_are_created_with_their_key_schema_and_indexes()
    {
        await using var t = await OpenAsync();
        var d = (await Driver(t).Client.DescribeTableAsync(new DescribeTableRequest { TableName = t.T("pairs") }, Ct)).Table;
        Assert.Equal(["a:HASH", "b:RANGE"], d.KeySchema.Select(k => $"{k.AttributeName}:{k.KeyType}"));
        Assert.Equal(["a:S", "b:N", "v:S", "w:N"], d.AttributeDefinitions.Select(a => $"{a.AttributeName}:{a.AttributeType}").Order(StringComparer.Ordinal));
        var gsi = Assert.Single(d.GlobalSecondaryIndexes);
        Assert.Equal(["v:HASH", "w:RANGE"], gsi.KeySchema.Select(k => $"{k.AttributeName}:{k.KeyType}"));
        Assert.Equal("ALL", gsi.Projection.ProjectionType.Value);
        var events = (await Driver(t).Client.DescribeTableAsync(new DescribeTableRequest { TableName = t.T("events") }, Ct)).Table;
        Assert.Equal(3, events.GlobalSecondaryIndexes.Count);
    }

    [Fact]
    public async Task Init_twice_is_harmless_and_a_new_column_or_index_upgrades_an_existing_table()
    {
        var prefix = "up" + Guid.NewGuid().ToString("N")[..8] + "_";
        static void V1(TableRegistry tables, string p) => tables.Add(p + "docs", t => t.Column("id", primary: true).Column("title"));
        static void V2(TableRegistry tables, string p) => tables.Add(p + "docs", t => t.Column("id", primary: true).Column("title").Column("owner", index: 1).Column("size", ColumnType.Int));
        await using (var v1 = await Target.OpenWithPrefixAsync(V1, prefix))
        {
            for (var i = 0; i < 6; i++) await v1.Db.PutAsync(v1.T("docs"), Row(("id", $"d{i}"), ("title", $"t{i}")), Ct);
        }
        await using (var again = await Target.OpenWithPrefixAsync(V1, prefix))
        {
            Assert.Equal(6, (await again.Db.SelectAsync(again.T("docs"), null, Ct)).Rows.Count);
        }
        await using var v2 = await Target.OpenWithPrefixAsync(V2, prefix);
        var docs = v2.T("docs");
        for (var i = 0; i < 6; i += 2) await v2.Db.UpdateAsync(docs, Row(("id", $"d{i}"), ("owner", "ann"), ("size", i)), Ct);
        var rows = (await v2.Db.SelectAsync(docs, Row(("owner", "ann")), Ct)).Rows;
        Assert.Equal(["{id=s:d0;owner=s:ann;size=l:0;title=s:t0;}", "{id=s:d2;owner=s:ann;size=l:2;title=s:t2;}", "{id=s:d4;owner=s:ann;size=l:4;title=s:t4;}"], rows.Select(Canon));
        // The index was asked for with UpdateTable. DynamoDB builds it (and selects then query it); dynalite validates
        // the request but ignores it, and selects scan instead — either way the rows are right.
        var d = (await Driver(v2).Client.DescribeTableAsync(new DescribeTableRequest { TableName = docs }, Ct)).Table;
        TestContext.Current.SendDiagnosticMessage($"indexes after upgrade: {d.GlobalSecondaryIndexes?.Count ?? 0}");
    }

    [Fact]
    public async Task Three_primary_key_columns_are_a_clear_configuration_error()
    {
        var ex = await Assert.ThrowsAsync<ConfigException>(() => OpenAsync((tables, p) => tables.Add(p + "three", t => t
            .Column("a", primary: true).Column("b", primary: true).Column("c", primary: true))));
        Assert.Contains("3 primary key columns", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most two", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_existing_table_with_another_key_is_reported()
    {
        var prefix = "k" + Guid.NewGuid().ToString("N")[..8] + "_";
        await using (await Target.OpenWithPrefixAsync((tables, p) => tables.Add(p + "keyed", t => t.Column("id", primary: true)), prefix))
        {
        }
        var ex = await Assert.ThrowsAsync<DbException>(() => Target.OpenWithPrefixAsync((tables, p) => tables.Add(p + "keyed", t => t.Column("id", primary: true).Column("n", ColumnType.Int, primary: true)), prefix));
        Assert.Contains("cannot change a table's key", ex.Message, StringComparison.Ordinal);
    }
}
