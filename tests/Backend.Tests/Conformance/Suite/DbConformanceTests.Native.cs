using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Search and Query take driver-native text. On SQL drivers (<see cref="IsSql"/>) Search takes a WHERE clause
/// and pages like Select, Query any statement, both with bound <c>@name</c> parameters. Other drivers must either run
/// their own native text or answer a <see cref="DbException"/>: 400 for native text they cannot parse, 501 when the
/// driver does not support the operation at all (acceptable for Query on DynamoDB and Redis). Never another
/// exception, never a 500.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    [Fact]
    public async Task Search_runs_a_native_condition_with_bound_parameters()
    {
        Assert.SkipUnless(IsSql, "Search takes an SQL WHERE clause on SQL drivers only");
        await using var t = await OpenSelectRows();
        var result = await t.Db.SearchAsync(t.T("items"), new DbNativeQuery("n > @min AND (name <> @skip OR name IS NULL)", new Dictionary<string, object?> { ["min"] = 8, ["skip"] = "500" }), Ct);
        AssertWholeTableOrder([9L, 11, 12], Ns(result));
        Assert.Equal("", result.NextToken);
        Assert.All(result.Rows, r => Assert.IsType<long>(r["n"]));
    }

    [Fact]
    public async Task Search_parameters_are_bound_not_spliced()
    {
        Assert.SkipUnless(IsSql, "Search takes an SQL WHERE clause on SQL drivers only");
        await using var t = await OpenSelectRows();
        var evil = "x' OR '1'='1";
        Assert.Empty((await t.Db.SearchAsync(t.T("items"), new DbNativeQuery("name = @name", new Dictionary<string, object?> { ["name"] = evil }), Ct)).Rows);
        var quoted = await t.Db.SearchAsync(t.T("items"), new DbNativeQuery("name = '@name' OR name = @name", new Dictionary<string, object?> { ["name"] = "cherry" }), Ct);
        Assert.Equal([5L], Ns(quoted));
    }

    [Fact]
    public async Task Search_pages_like_select()
    {
        Assert.SkipUnless(IsSql, "Search takes an SQL WHERE clause on SQL drivers only");
        await using var t = await OpenSelectRows();
        var query = new DbNativeQuery("n >= @n", new Dictionary<string, object?> { ["n"] = 3 });
        var ids = new List<long>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await t.Db.SearchAsync(t.T("items"), query, new DbOptions { Count = 4, Start = token, Sort = "score", Desc = true }, Ct);
            Assert.InRange(page.Rows.Count, 1, 4);
            ids.AddRange(Ns(page));
            token = page.NextToken;
            pages++;
        }
        while (token.Length > 0);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(3, 10).Reverse().Select(i => (long)i), ids);
    }

    [Fact]
    public async Task Query_returns_rows_typed_by_the_table_columns()
    {
        Assert.SkipUnless(IsSql, "Query takes SQL on SQL drivers only");
        await using var t = await OpenSelectRows();
        await t.Db.UpdateAsync(t.T("items"), Row(("id", "r10"), ("doc", "{\"a\":[1]}")), Ct);
        var result = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"SELECT id, n, big, score, flag, doc FROM {t.T("items")} WHERE n >= @n ORDER BY n", new Dictionary<string, object?> { ["n"] = 10 }), Ct);
        Assert.Equal(3, result.Rows.Count);
        var row = result.Rows[0];
        Assert.Equal("r10", row["id"]);
        Assert.Equal(10L, row["n"]);
        Assert.Equal(Base + 10, row["big"]);
        Assert.Equal(5.0, row["score"]);
        Assert.Equal(true, row["flag"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"a\":[1]}"), (JsonNode?)row["doc"]));
        var count = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"SELECT COUNT(*) AS cnt FROM {t.T("items")}"), Ct);
        Assert.Equal(12L, Assert.Single(count.Rows).GetLong("cnt"));
    }

    [Fact]
    public async Task Query_runs_a_statement_and_reports_the_affected_rows()
    {
        Assert.SkipUnless(IsSql, "Query takes SQL on SQL drivers only");
        await using var t = await OpenSelectRows();
        var result = await t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"UPDATE {t.T("items")} SET name = @name WHERE n < @n", new Dictionary<string, object?> { ["name"] = "low", ["n"] = 4 }), Ct);
        Assert.Equal(3, result.Affected);
        Assert.Equal([1L, 2, 3], Ns(await t.Db.SelectAsync(t.T("items"), Row(("name", "low")), Ct)).Order());
    }

    [Fact]
    public async Task A_native_parameter_without_a_value_is_a_400()
    {
        Assert.SkipUnless(IsSql, "SQL drivers only");
        await using var t = await OpenSelectRows();
        await AssertStatus(400, () => t.Db.SearchAsync(t.T("items"), new DbNativeQuery("n > @missing"), Ct));
        await AssertStatus(400, () => t.Db.QueryAsync(t.T("items"), new DbNativeQuery($"DELETE FROM {t.T("items")} WHERE n > @missing", new Dictionary<string, object?> { ["other"] = 1 }), Ct));
        Assert.Equal(12, (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Count);
    }

    [Fact]
    public async Task Search_and_Query_on_a_non_sql_driver_work_or_answer_400_or_501()
    {
        Assert.SkipWhen(IsSql, "SQL drivers run the SQL native tests");
        await using var t = await OpenSelectRows();
        var calls = new (string, Func<Task>)[]
        {
            ("search", () => t.Db.SearchAsync(t.T("items"), new DbNativeQuery("n > @min", new Dictionary<string, object?> { ["min"] = 3 }), new DbOptions { Count = 5 }, Ct)),
            ("query", () => t.Db.QueryAsync(t.T("items"), new DbNativeQuery("n > @min", new Dictionary<string, object?> { ["min"] = 3 }), Ct)),
        };
        var mismatches = new List<string>();
        foreach (var (name, call) in calls)
        {
            try
            {
                await call();
            }
            catch (DbException ex) when (ex.Status is 400 or 501)
            {
            }
            catch (Exception ex)
            {
                mismatches.Add($"{name}: {ex.GetType().Name} {(ex as DbException)?.Status} {ex.Message}");
            }
        }
        AssertNone(mismatches);
        Assert.Equal(12, (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Count);
    }
}
