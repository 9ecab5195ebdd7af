using System.Reflection;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Backend.Data;
using Backend.DynamoDb;
using Backend.Tests.Conformance;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>A client that passes every call to the real one and records the requests that matter for indexes and
/// batches: which table and index each Query, Scan and UpdateTable went to, the size of each TransactWriteItems, and the
/// status of every index in each DescribeTable and UpdateTable answer.</summary>
public class RecordingClient : DispatchProxy
{
    private readonly List<string> _calls = [];

    public IAmazonDynamoDB Inner { get; set; } = null!;

    /// <summary>"Query TABLE INDEX", "Scan TABLE", "UpdateTable TABLE +INDEX", "TransactWriteItems COUNT",
    /// "status TABLE INDEX STATUS", in order.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls) return [.. _calls];
        }
    }

    public void Clear()
    {
        lock (_calls) _calls.Clear();
    }

    public static IAmazonDynamoDB Wrap(IAmazonDynamoDB inner, out RecordingClient proxy)
    {
        var client = Create<IAmazonDynamoDB, RecordingClient>();
        proxy = (RecordingClient)(object)client;
        proxy.Inner = inner;
        return client;
    }

    private void Add(string call)
    {
        lock (_calls) _calls.Add(call);
    }

    private void AddStatuses(TableDescription? table)
    {
        foreach (var g in table?.GlobalSecondaryIndexes ?? []) Add($"status {table!.TableName} {g.IndexName} {g.IndexStatus}{(g.Backfilling == true ? " backfilling" : "")}");
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        switch (args?.FirstOrDefault())
        {
            case QueryRequest q: Add($"Query {q.TableName} {q.IndexName}".TrimEnd()); break;
            case ScanRequest s: Add($"Scan {s.TableName}"); break;
            case TransactWriteItemsRequest w: Add($"TransactWriteItems {w.TransactItems.Count}"); break;
            case UpdateTableRequest u: Add($"UpdateTable {u.TableName} +{string.Join(",", (u.GlobalSecondaryIndexUpdates ?? []).Select(x => x.Create?.IndexName))}"); break;
        }
        object? result;
        try
        {
            result = targetMethod.Invoke(Inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
        return result switch
        {
            Task<DescribeTableResponse> d => Observe(d, r => r.Table),
            Task<UpdateTableResponse> u => Observe(u, r => r.TableDescription),
            _ => result,
        };
    }

    private async Task<T> Observe<T>(Task<T> call, Func<T, TableDescription?> table)
    {
        var response = await call;
        AddStatuses(table(response));
        return response;
    }
}

/// <summary>Global secondary indexes added to existing tables, on AWS DynamoDB Local (dynalite ignores UpdateTable's
/// index creation, so only here are they really built): the driver creates them, waits until they are ACTIVE (a new
/// index is CREATING at first, and querying it then fails), and selects then query them, rows written before the index
/// existed included.</summary>
public sealed class DynamoDbLocalIndexTests(DynamoDbLocalTarget target) : IClassFixture<DynamoDbLocalTarget>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Version 1: no index.</summary>
    private static void V1(TableRegistry tables, string prefix) => tables.Add(prefix + "docs", t => t
        .Column("id", primary: true)
        .Column("title")
        .Column("owner")
        .Column("size", ColumnType.Int));

    /// <summary>Version 2: the same table with an index on owner and another on size.</summary>
    private static void V2(TableRegistry tables, string prefix) => tables.Add(prefix + "docs", t => t
        .Column("id", primary: true)
        .Column("title")
        .Column("owner", index: 1)
        .Column("size", ColumnType.Int, index: 2));

    /// <summary>40 rows: owner ann for i % 3 == 0, bob for i % 3 == 1, none otherwise; size i.</summary>
    private static async Task WriteV1Rows(string prefix, DynamoDbLocalTarget target)
    {
        await using var v1 = await target.OpenWithPrefixAsync(V1, prefix);
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
        {
            var row = new DbRow { ["id"] = $"d{i:00}", ["title"] = $"t{i}", ["size"] = i };
            if (i % 3 < 2) row["owner"] = i % 3 == 0 ? "ann" : "bob";
            await v1.Db.PutAsync(v1.T("docs"), row, ct);
        });
    }

    private static string[] Ids(DbResult r) => [.. r.Rows.Select(x => (string)x["id"]!).Order(StringComparer.Ordinal)];

    private static string[] Expected(Func<int, bool> which) => [.. Enumerable.Range(0, 40).Where(which).Select(i => $"d{i:00}")];

    /// <summary>A driver whose client records its requests.</summary>
    private (DynamoDbDriver Driver, RecordingClient Recorder, DynamoDbDriver Plain) RecordingDriver()
    {
        var plain = (DynamoDbDriver)target.CreateDriver();
        var client = RecordingClient.Wrap(plain.Client, out var recorder);
        return (new DynamoDbDriver("dynamodb", client, NullLogger<DynamoDbDriver>.Instance), recorder, plain);
    }

    /// <summary>The table's one index whose hash key is the column, as DescribeTable shows it.</summary>
    private static async Task<GlobalSecondaryIndexDescription> Index(DynamoDbDriver driver, string table, string column)
    {
        var d = (await driver.Client.DescribeTableAsync(new DescribeTableRequest { TableName = table }, Ct)).Table;
        return Assert.Single(d.GlobalSecondaryIndexes ?? [], g => g.KeySchema.Any(k => k.KeyType == KeyType.HASH && k.AttributeName == column));
    }

    [Fact]
    public async Task An_index_added_to_an_existing_table_is_created_waited_for_and_queried()
    {
        var prefix = "gx" + Guid.NewGuid().ToString("N")[..8] + "_";
        await WriteV1Rows(prefix, target);

        var (driver, recorder, plain) = RecordingDriver();
        await using var v2 = await target.OpenWithPrefixAsync(V2, prefix, driver);
        var docs = v2.T("docs");
        var initCalls = recorder.Calls;

        // DescribeTable shows both new indexes, ACTIVE, with the described key and every attribute projected.
        var owner = await Index(plain, docs, "owner");
        var size = await Index(plain, docs, "size");
        foreach (var (g, column) in new[] { (owner, "owner"), (size, "size") })
        {
            Assert.Equal(IndexStatus.ACTIVE, g.IndexStatus);
            Assert.NotEqual(true, g.Backfilling);
            Assert.Equal([$"{column}:HASH"], g.KeySchema.Select(k => $"{k.AttributeName}:{k.KeyType}"));
            Assert.Equal(ProjectionType.ALL, g.Projection.ProjectionType);
        }

        // Init added them one at a time, each CREATING at first, and returned only once both were ACTIVE: the second
        // UpdateTable came after the first index was seen ACTIVE, and the last status seen of each is ACTIVE.
        var updates = initCalls.Select((c, i) => (c, i)).Where(x => x.c.StartsWith("UpdateTable ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, updates.Count);
        var first = updates[0].c.Split('+')[1];
        Assert.Contains(initCalls, c => c == $"status {docs} {first} CREATING");
        Assert.Contains(initCalls.Take(updates[1].i), c => c == $"status {docs} {first} ACTIVE");
        foreach (var name in new[] { owner.IndexName, size.IndexName })
        {
            Assert.Contains(initCalls, c => c == $"status {docs} {name} CREATING");
            Assert.Equal($"status {docs} {name} ACTIVE", initCalls.Last(c => c.StartsWith($"status {docs} {name} ", StringComparison.Ordinal)));
        }
        Assert.DoesNotContain(initCalls, c => c.StartsWith("Query ", StringComparison.Ordinal) || c.StartsWith("Scan ", StringComparison.Ordinal));

        // Selects on the new columns query the new indexes and find exactly the rows written before they existed.
        recorder.Clear();
        Assert.Equal(Expected(i => i % 3 == 0), Ids(await v2.Db.SelectAsync(docs, new { owner = "ann" }, Ct)));
        Assert.Equal(Expected(i => i % 3 == 1), Ids(await v2.Db.SelectAsync(docs, new { owner = "bob" }, Ct)));
        Assert.Empty((await v2.Db.SelectAsync(docs, new { owner = "nobody" }, Ct)).Rows);
        Assert.Equal(["d07"], Ids(await v2.Db.SelectAsync(docs, new { size = 7 }, Ct)));
        Assert.Equal(Expected(i => i % 3 == 0 && i > 20), Ids(await v2.Db.SelectAsync(docs, new { owner = "ann", size = 20 }, new DbOptions { Ops = { ["size"] = DbCompare.Gt } }, Ct)));
        Assert.Equal(
            [$"Query {docs} {owner.IndexName}", $"Query {docs} {owner.IndexName}", $"Query {docs} {owner.IndexName}", $"Query {docs} {size.IndexName}", $"Query {docs} {owner.IndexName}"],
            recorder.Calls.Where(c => !c.StartsWith("status ", StringComparison.Ordinal)));

        // Paging through an index query visits every matching row exactly once.
        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await v2.Db.SelectAsync(docs, new { owner = "ann" }, new DbOptions { Count = 4, Start = token }, Ct);
            paged.AddRange(page.Rows.Select(r => (string)r["id"]!));
            token = page.NextToken;
        }
        while (token.Length > 0 && paged.Count <= 40);
        Assert.Equal(Expected(i => i % 3 == 0), paged);

        // Rows written, changed and deleted through the index's lifetime are followed.
        await v2.Db.PutAsync(docs, new { id = "new1", owner = "ann", size = 100 }, Ct);
        await v2.Db.UpdateAsync(docs, new { id = "d01", owner = "ann" }, Ct);
        await v2.Db.DelAsync(docs, new { id = "d03" }, Ct);
        string[] anns = [.. Expected(i => i % 3 == 0 && i != 3).Append("d01").Append("new1").Order(StringComparer.Ordinal)];
        Assert.Equal(anns, Ids(await v2.Db.SelectAsync(docs, new { owner = "ann" }, Ct)));
        var hundred = Ids(await v2.Db.SelectAsync(docs, new { size = 100 }, Ct));
        Assert.Equal(["new1"], hundred);

        // The table Db of version 1, which has no index on owner, still finds the same rows (by a scan).
        await using var v1 = await target.OpenWithPrefixAsync(V1, prefix);
        Assert.Equal(Ids(await v2.Db.SelectAsync(docs, new { owner = "ann" }, Ct)), Ids(await v1.Db.SelectAsync(docs, new { owner = "ann" }, Ct)));
    }

    [Fact]
    public async Task An_empty_string_in_an_index_key_column_is_a_400_and_writes_nothing()
    {
        // As on AWS (dynalite stores it): an empty string may be stored, but not as an index's key.
        await using var t = await target.OpenAsync(V2);
        var docs = t.T("docs");
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(docs, new { id = "e", owner = "" }, Ct));
        Assert.Equal(400, ex.Status);
        Assert.Null(await t.Db.GetAsync(docs, new { id = "e" }, Ct));
        await t.Db.PutAsync(docs, new { id = "e", title = "" }, Ct);
        Assert.Equal("", (await t.Db.GetAsync(docs, new { id = "e" }, Ct))?["title"]);
    }

    [Fact]
    public async Task A_db_opened_while_another_builds_the_index_waits_until_it_is_active_then_queries_it()
    {
        // The second Db must open while the index is CREATING, a fraction of a second on DynamoDB Local: try a few times.
        for (var attempt = 1; ; attempt++)
        {
            var prefix = "gw" + Guid.NewGuid().ToString("N")[..8] + "_";
            await WriteV1Rows(prefix, target);

            // The first Db's init: its UpdateTable answer releases the second Db's init, which then runs while the
            // index is being built.
            var (builderDriver, builderRecorder, _) = RecordingDriver();
            var (driver, recorder, plain) = RecordingDriver();
            var building = target.OpenWithPrefixAsync((tables, p) => tables.Add(p + "docs", t => t
                .Column("id", primary: true).Column("owner", index: 1)), prefix, builderDriver);
            // Until the first Db's UpdateTable has been answered (its answer's statuses are recorded after it).
            while (!building.IsCompleted && !builderRecorder.Calls.SkipWhile(c => !c.StartsWith("UpdateTable ", StringComparison.Ordinal)).Skip(1)
                .Any(c => c.StartsWith("status ", StringComparison.Ordinal)))
            {
                await Task.Delay(2, Ct);
            }
            Assert.Contains(builderRecorder.Calls, c => c.StartsWith("UpdateTable ", StringComparison.Ordinal));
            await using var second = await target.OpenWithPrefixAsync((tables, p) => tables.Add(p + "docs", t => t
                .Column("id", primary: true).Column("owner", index: 1)), prefix, driver);
            await using var first = await building;
            var docs = second.T("docs");
            var index = (await Index(plain, docs, "owner")).IndexName;
            var seen = recorder.Calls.Where(c => c.StartsWith($"status {docs} {index} ", StringComparison.Ordinal)).ToList();
            if (seen.FirstOrDefault() != $"status {docs} {index} CREATING")
            {
                Assert.True(attempt < 5, $"the second Db never saw the index CREATING in {attempt} tries: {string.Join(", ", seen)}");
                continue;
            }

            // It did not create the index again, waited until ACTIVE, and then its selects query the index.
            Assert.DoesNotContain(recorder.Calls, c => c.StartsWith("UpdateTable ", StringComparison.Ordinal));
            Assert.Equal($"status {docs} {index} ACTIVE", seen[^1]);
            recorder.Clear();
            Assert.Equal(Expected(i => i % 3 == 0), Ids(await second.Db.SelectAsync(docs, new { owner = "ann" }, Ct)));
            Assert.Equal([$"Query {docs} {index}"], recorder.Calls.Where(c => !c.StartsWith("status ", StringComparison.Ordinal)));
            TestContext.Current.SendDiagnosticMessage($"saw CREATING on try {attempt}: {string.Join(", ", seen)}");
            return;
        }
    }
}
