using System.Text;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Data.Sql;

namespace Backend.Tests.Data;

/// <summary>SQL text and parameters produced by <see cref="SqlBuilder"/> (SQLite dialect) for requests prepared by the facade.</summary>
public sealed class SqlGenerationTests
{
    private const string Evil = "'; drop table x; --";

    private static readonly SqlBuilder Sql = new(SqlDialect.Sqlite);

    private static readonly TableRegistry Tables = new TableRegistry()
        .Add("items", t => t
            .Column("id", primary: true)
            .Column("name")
            .Column("n", ColumnType.Int)
            .Column("score", ColumnType.Real)
            .Column("flag", ColumnType.Bool)
            .Column("doc", ColumnType.Json)
            .Column("hits", ColumnType.Counter))
        .Add("pairs", t => t
            .Column("a", primary: true)
            .Column("b", ColumnType.Int, primary: true)
            .Column("v"));

    private static readonly Db Db = new(Tables, new DbPools("sqlite"));

    private static SqlStatement Build(DbOperation op, string table, object? row, DbOptions? options = null) =>
        Sql.Build(Db.Prepare(op, table, row, options));

    private static SqlSelect Select(string table, object? query, DbOptions? options = null) =>
        Sql.Select(Db.Prepare(DbOperation.Select, table, query, options));

    private static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    private static string Token(string json) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    // ---- DDL ----

    [Fact]
    public void Create_table_lists_every_column_and_the_primary_key()
    {
        Assert.Equal(
            "CREATE TABLE IF NOT EXISTS \"items\" (\"id\" TEXT NOT NULL, \"name\" TEXT, \"n\" INTEGER, \"score\" REAL, \"flag\" INTEGER, " +
            "\"doc\" TEXT, \"hits\" INTEGER, PRIMARY KEY (\"id\"))",
            Sql.CreateTable(Tables.Get("items")!));
    }

    [Fact]
    public void Create_table_writes_a_composite_primary_key_in_key_order_not_declaration_order()
    {
        var table = new TableSchema("photo", [
            new ColumnSchema { Name = "id", Type = ColumnType.Int, Primary = 2 },
            new ColumnSchema { Name = "name" },
            new ColumnSchema { Name = "album_id", Primary = 1 },
            new ColumnSchema { Name = "mtime", Type = ColumnType.BigInt },
        ]);
        Assert.Equal(["album_id", "id"], table.PrimaryKeys);
        Assert.Equal(
            "CREATE TABLE IF NOT EXISTS \"photo\" (\"id\" INTEGER NOT NULL, \"name\" TEXT, \"album_id\" TEXT NOT NULL, \"mtime\" INTEGER, " +
            "PRIMARY KEY (\"album_id\", \"id\"))",
            Sql.CreateTable(table));
    }

    [Fact]
    public void Builder_primary_columns_form_the_key_in_the_order_they_are_added()
    {
        Assert.Equal(["a", "b"], Tables.Get("pairs")!.PrimaryKeys);
        Assert.EndsWith("PRIMARY KEY (\"a\", \"b\"))", Sql.CreateTable(Tables.Get("pairs")!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ColumnType.Text, "TEXT")]
    [InlineData(ColumnType.Int, "INTEGER")]
    [InlineData(ColumnType.BigInt, "INTEGER")]
    [InlineData(ColumnType.Real, "REAL")]
    [InlineData(ColumnType.Bool, "INTEGER")]
    [InlineData(ColumnType.Json, "TEXT")]
    [InlineData(ColumnType.Counter, "INTEGER")]
    public void Alter_table_adds_a_column_with_its_native_type(ColumnType type, string native)
    {
        var column = new ColumnSchema { Name = "extra", Type = type };
        Assert.Equal($"ALTER TABLE \"items\" ADD COLUMN \"extra\" {native}", Sql.AddColumn(Tables.Get("items")!, column));
    }

    [Fact]
    public void Create_index_names_the_index_after_table_and_columns()
    {
        var table = new TableSchema("photo", [
            new ColumnSchema { Name = "id", Primary = 1 },
            new ColumnSchema { Name = "name", Index = 1 },
            new ColumnSchema { Name = "album", Index = 2 },
            new ColumnSchema { Name = "mtime", Type = ColumnType.BigInt, Index = 2 },
        ]);
        Assert.Equal(2, table.Indexes.Count);
        var name = table.IndexName(table.Indexes[0]);
        Assert.Matches("^photo_name_[0-9a-f]{8}_idx$", name);
        Assert.Equal(name, table.IndexName(table.Indexes[0]));
        Assert.Equal($"CREATE INDEX IF NOT EXISTS \"{name}\" ON \"photo\" (\"name\")", Sql.CreateIndex(table, table.Indexes[0]));
        Assert.Matches("^CREATE INDEX IF NOT EXISTS \"photo_album_mtime_[0-9a-f]{8}_idx\" ON \"photo\" \\(\"album\", \"mtime\"\\)$", Sql.CreateIndex(table, table.Indexes[1]));
        var longTable = new TableSchema(new string('t', 60), [new ColumnSchema { Name = "id", Primary = 1 }, new ColumnSchema { Name = new string('c', 60), Index = 1 }]);
        Assert.True(longTable.IndexName(longTable.Indexes[0]).Length <= 63);
    }

    // ---- writes and get ----

    [Fact]
    public void Get_selects_every_column_by_key()
    {
        var st = Build(DbOperation.Get, "items", Row(("id", "k1"), ("name", "ignored")));
        Assert.Equal("SELECT \"id\", \"name\", \"n\", \"score\", \"flag\", \"doc\", \"hits\" FROM \"items\" WHERE \"id\" = @p0 LIMIT 1", st.Text);
        Assert.Equal(["k1"], st.Parameters);
    }

    [Fact]
    public void Get_with_a_composite_key_binds_every_key_part_in_key_order()
    {
        var st = Build(DbOperation.Get, "pairs", Row(("b", "7"), ("a", "x")));
        Assert.Equal("SELECT \"a\", \"b\", \"v\" FROM \"pairs\" WHERE \"a\" = @p0 AND \"b\" = @p1 LIMIT 1", st.Text);
        Assert.Equal(["x", 7L], st.Parameters);
    }

    [Fact]
    public void Get_with_select_lists_only_the_chosen_columns()
    {
        var st = Build(DbOperation.Get, "items", Row(("id", "k1")), new DbOptions { Select = ["name", "bogus", "n"] });
        Assert.Equal("SELECT \"name\", \"n\" FROM \"items\" WHERE \"id\" = @p0 LIMIT 1", st.Text);
    }

    [Fact]
    public void Add_inserts_the_given_columns_with_converted_parameters()
    {
        var st = Build(DbOperation.Add, "items", Row(("id", "k1"), ("name", "A"), ("n", "5"), ("flag", "true"), ("doc", new JsonObject { ["a"] = 1 }), ("bogus", 1)));
        Assert.Equal("INSERT INTO \"items\" (\"id\", \"name\", \"n\", \"flag\", \"doc\") VALUES (@p0, @p1, @p2, @p3, @p4)", st.Text);
        Assert.Equal(["k1", "A", 5L, 1L, "{\"a\":1}"], st.Parameters);
    }

    [Fact]
    public void Put_inserts_or_replaces()
    {
        var st = Build(DbOperation.Put, "items", Row(("id", "k1"), ("score", 1.5), ("name", null)));
        Assert.Equal("INSERT OR REPLACE INTO \"items\" (\"id\", \"score\", \"name\") VALUES (@p0, @p1, @p2)", st.Text);
        Assert.Equal(["k1", 1.5, DBNull.Value], st.Parameters);
    }

    [Fact]
    public void Update_sets_the_non_key_columns_and_matches_the_key()
    {
        var st = Build(DbOperation.Update, "pairs", Row(("a", "x"), ("v", "new"), ("b", 2)));
        Assert.Equal("UPDATE \"pairs\" SET \"v\" = @p0 WHERE \"a\" = @p1 AND \"b\" = @p2", st.Text);
        Assert.Equal(["new", "x", 2L], st.Parameters);
    }

    [Fact]
    public void Update_with_only_the_key_is_a_no_op_update_that_still_matches_the_row()
    {
        var st = Build(DbOperation.Update, "items", Row(("id", "k1")));
        Assert.Equal("UPDATE \"items\" SET \"id\" = \"id\" WHERE \"id\" = @p0", st.Text);
        Assert.Equal(["k1"], st.Parameters);
    }

    [Fact]
    public void Incr_upserts_adding_to_counters_and_setting_other_columns()
    {
        var st = Build(DbOperation.Incr, "items", Row(("id", "k1"), ("hits", 2), ("name", "A")));
        Assert.Equal(
            "INSERT INTO \"items\" (\"id\", \"hits\", \"name\") VALUES (@p0, @p1, @p2) ON CONFLICT (\"id\") DO UPDATE SET " +
            "\"hits\" = COALESCE(\"items\".\"hits\", 0) + COALESCE(excluded.\"hits\", 0), \"name\" = excluded.\"name\"" +
            " WHERE typeof(COALESCE(\"items\".\"hits\", 0) + COALESCE(excluded.\"hits\", 0)) = 'integer'",
            st.Text);
        Assert.Equal(["k1", 2L, "A"], st.Parameters);
    }

    [Fact]
    public void Incr_with_only_the_key_inserts_or_does_nothing()
    {
        var st = Build(DbOperation.Incr, "pairs", Row(("a", "x"), ("b", 1)));
        Assert.Equal("INSERT INTO \"pairs\" (\"a\", \"b\") VALUES (@p0, @p1) ON CONFLICT (\"a\", \"b\") DO NOTHING", st.Text);
    }

    [Fact]
    public void Del_deletes_by_key_only()
    {
        var st = Build(DbOperation.Del, "pairs", Row(("a", "x"), ("b", 3), ("v", "ignored")));
        Assert.Equal("DELETE FROM \"pairs\" WHERE \"a\" = @p0 AND \"b\" = @p1", st.Text);
        Assert.Equal(["x", 3L], st.Parameters);
    }

    [Fact]
    public void Select_without_conditions_orders_by_the_key_and_asks_for_count_plus_one()
    {
        var select = Select("items", null, new DbOptions { Count = 10 });
        Assert.Equal(
            "SELECT \"id\", \"name\", \"n\", \"score\", \"flag\", \"doc\", \"hits\" FROM \"items\" ORDER BY \"id\" LIMIT @p0",
            select.Statement.Text);
        Assert.Equal([11L], select.Statement.Parameters);
        Assert.Equal(10, select.Count);
        Assert.Equal(["id"], select.Order.Select(c => c.Name));
    }

    [Fact]
    public void Select_without_count_has_no_limit()
    {
        var select = Select("items", Row(("name", "A")));
        Assert.Equal(
            "SELECT \"id\", \"name\", \"n\", \"score\", \"flag\", \"doc\", \"hits\" FROM \"items\" WHERE \"name\" = @p0 ORDER BY \"id\"",
            select.Statement.Text);
        Assert.Equal(["A"], select.Statement.Parameters);
    }

    [Fact]
    public void Select_with_select_lists_the_chosen_columns_plus_the_ordering_columns()
    {
        var select = Select("items", null, new DbOptions { Select = ["name", "bogus"], Sort = "score" });
        Assert.Equal("SELECT \"name\", \"score\", \"id\" FROM \"items\" ORDER BY \"score\", \"id\"", select.Statement.Text);
    }

    [Fact]
    public void Select_desc_and_sort_order_by_the_sort_column_then_the_key()
    {
        var select = Select("pairs", null, new DbOptions { Sort = "v", Desc = true, Count = 2 });
        Assert.EndsWith("ORDER BY \"v\" DESC, \"a\" DESC, \"b\" DESC LIMIT @p0", select.Statement.Text, StringComparison.Ordinal);
        Assert.Equal(["v", "a", "b"], select.Order.Select(c => c.Name));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("a")]
    public void Select_sort_on_an_unknown_column_or_the_first_key_orders_by_the_key(string sort)
    {
        var select = Select("pairs", null, new DbOptions { Sort = sort });
        Assert.EndsWith("ORDER BY \"a\", \"b\"", select.Statement.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_sort_on_the_second_key_column_orders_by_it()
    {
        var select = Select("pairs", null, new DbOptions { Sort = "b" });
        Assert.EndsWith("ORDER BY \"b\", \"a\"", select.Statement.Text, StringComparison.Ordinal);
    }

    // ---- conditions ----

    public static TheoryData<DbCompare, object, string, object[]> Operators => new()
    {
        { DbCompare.Eq, "5", "\"n\" = @p0", [5L] },
        { DbCompare.Ne, 5, "\"n\" <> @p0", [5L] },
        { DbCompare.Gt, 5, "\"n\" > @p0", [5L] },
        { DbCompare.Ge, 5, "\"n\" >= @p0", [5L] },
        { DbCompare.Lt, 5, "\"n\" < @p0", [5L] },
        { DbCompare.Le, 5, "\"n\" <= @p0", [5L] },
        { DbCompare.In, "1, 2,3", "\"n\" IN (@p0, @p1, @p2)", [1L, 2L, 3L] },
        { DbCompare.In, new[] { 4, 5 }, "\"n\" IN (@p0, @p1)", [4L, 5L] },
        { DbCompare.Between, "3,6", "\"n\" BETWEEN @p0 AND @p1", [3L, 6L] },
        { DbCompare.Between, new List<object> { 1L, "9" }, "\"n\" BETWEEN @p0 AND @p1", [1L, 9L] },
        { DbCompare.BeginsWith, 12, "substr(\"n\", 1, length(@p0)) = @p0", ["12"] },
        { DbCompare.Contains, 12, "instr(\"n\", @p0) > 0", ["12"] },
        { DbCompare.Like, "1%", "\"n\" LIKE @p0", ["1%"] },
    };

    [Theory]
    [MemberData(nameof(Operators))]
    public void Each_operator_becomes_a_parameterised_condition(DbCompare op, object value, string condition, object[] parameters)
    {
        var select = Select("items", Row(("n", value)), new DbOptions().Op("n", op));
        Assert.Equal(
            $"SELECT \"id\", \"name\", \"n\", \"score\", \"flag\", \"doc\", \"hits\" FROM \"items\" WHERE {condition} ORDER BY \"id\"",
            select.Statement.Text);
        Assert.Equal(parameters, select.Statement.Parameters);
    }

    [Fact]
    public void In_with_an_empty_list_matches_nothing()
    {
        var select = Select("items", Row(("n", Array.Empty<int>())), new DbOptions().Op("n", DbCompare.In));
        Assert.Contains("WHERE 1 = 0 ORDER BY", select.Statement.Text, StringComparison.Ordinal);
        Assert.Empty(select.Statement.Parameters);
    }

    [Fact]
    public void Between_needs_exactly_two_values()
    {
        var ex = Assert.Throws<DbException>(() => Select("items", Row(("n", "1,2,3")), new DbOptions().Op("n", DbCompare.Between)));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public void Eq_and_ne_with_null_use_is_null()
    {
        Assert.Contains("WHERE \"name\" IS NULL ORDER", Select("items", Row(("name", null))).Statement.Text, StringComparison.Ordinal);
        Assert.Contains("WHERE \"name\" IS NOT NULL ORDER",
            Select("items", Row(("name", null)), new DbOptions().Op("name", DbCompare.Ne)).Statement.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_conditions_are_joined_with_and_and_unknown_columns_are_ignored()
    {
        var select = Select("items", Row(("name", "A"), ("bogus", 1), ("n", 3)), new DbOptions().Op("n", DbCompare.Gt).Op("bogus", DbCompare.Lt));
        Assert.Contains("WHERE \"name\" = @p0 AND \"n\" > @p1 ORDER BY", select.Statement.Text, StringComparison.Ordinal);
        Assert.Equal(["A", 3L], select.Statement.Parameters);
    }

    [Fact]
    public void Condition_values_are_converted_to_the_column_type()
    {
        Assert.Equal(400, Assert.Throws<DbException>(() => Select("items", Row(("n", "abc")))).Status);
        Assert.Equal(400, Assert.Throws<DbException>(() => Select("items", Row(("n", "1,x")), new DbOptions().Op("n", DbCompare.In))).Status);
        Assert.Equal([1L], Select("items", Row(("flag", "true"))).Statement.Parameters);
    }

    // ---- values are never spliced ----

    public static TheoryData<DbOperation> WriteOperations => [DbOperation.Get, DbOperation.Add, DbOperation.Put, DbOperation.Update, DbOperation.Incr, DbOperation.Del];

    [Theory]
    [MemberData(nameof(WriteOperations))]
    public void Values_appear_only_as_parameters(DbOperation op)
    {
        var st = Build(op, "items", Row(("id", Evil), ("name", Evil), ("doc", Evil)));
        Assert.DoesNotContain(Evil, st.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", st.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Evil, st.Parameters);
    }

    [Theory]
    [InlineData(DbCompare.Eq)]
    [InlineData(DbCompare.Ne)]
    [InlineData(DbCompare.Gt)]
    [InlineData(DbCompare.Ge)]
    [InlineData(DbCompare.Lt)]
    [InlineData(DbCompare.Le)]
    [InlineData(DbCompare.BeginsWith)]
    [InlineData(DbCompare.Contains)]
    [InlineData(DbCompare.Like)]
    public void Condition_values_appear_only_as_parameters(DbCompare op)
    {
        var select = Select("items", Row(("name", Evil)), new DbOptions { Count = 5 }.Op("name", op));
        Assert.DoesNotContain("drop", select.Statement.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Evil, select.Statement.Parameters);
    }

    [Fact]
    public void List_and_token_values_appear_only_as_parameters()
    {
        var evilList = new[] { Evil, "x" };
        var inSelect = Select("items", Row(("name", evilList)), new DbOptions().Op("name", DbCompare.In));
        Assert.DoesNotContain("drop", inSelect.Statement.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal([Evil, "x"], inSelect.Statement.Parameters);

        var between = Select("items", Row(("name", evilList)), new DbOptions().Op("name", DbCompare.Between));
        Assert.DoesNotContain("drop", between.Statement.Text, StringComparison.OrdinalIgnoreCase);

        var paged = Select("items", null, new DbOptions { Start = Token("[\"'; drop table x; --\"]") });
        Assert.DoesNotContain("drop", paged.Statement.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal([Evil], paged.Statement.Parameters);
    }

    // ---- keyset paging ----

    [Fact]
    public void Start_token_adds_a_keyset_condition_after_the_last_key()
    {
        var select = Select("items", Row(("name", "A")), new DbOptions { Count = 2, Start = Token("[\"k9\"]") });
        Assert.Equal(
            "SELECT \"id\", \"name\", \"n\", \"score\", \"flag\", \"doc\", \"hits\" FROM \"items\" WHERE \"name\" = @p0 AND \"id\" > @p1 ORDER BY \"id\" LIMIT @p2",
            select.Statement.Text);
        Assert.Equal(["A", "k9", 3L], select.Statement.Parameters);
    }

    [Fact]
    public void Start_token_over_several_ordering_columns_compares_sort_then_key_row_values()
    {
        var select = Select("pairs", null, new DbOptions { Count = 1, Sort = "v", Start = Token("[\"vv\",\"x\",5]") });
        Assert.Equal(
            "SELECT \"a\", \"b\", \"v\" FROM \"pairs\" WHERE (\"v\" > @p0 OR (\"v\" = @p0 AND (\"a\", \"b\") > (@p1, @p2))) ORDER BY \"v\", \"a\", \"b\" LIMIT @p3",
            select.Statement.Text);
        Assert.Equal(["vv", "x", 5L, 2L], select.Statement.Parameters);
    }

    [Fact]
    public void Start_token_after_a_null_sort_value_continues_with_nulls_then_values()
    {
        var select = Select("pairs", null, new DbOptions { Count = 1, Sort = "v", Start = Token("[null,\"x\",5]") });
        Assert.Equal(
            "SELECT \"a\", \"b\", \"v\" FROM \"pairs\" WHERE ((\"v\" IS NULL AND (\"a\", \"b\") > (@p0, @p1)) OR \"v\" IS NOT NULL) ORDER BY \"v\", \"a\", \"b\" LIMIT @p2",
            select.Statement.Text);
        Assert.Equal(["x", 5L, 2L], select.Statement.Parameters);
    }

    [Fact]
    public void Start_token_with_desc_compares_less_than()
    {
        var select = Select("pairs", null, new DbOptions { Desc = true, Start = Token("[\"x\",5]") });
        Assert.Contains("WHERE (\"a\", \"b\") < (@p0, @p1) ORDER BY \"a\" DESC, \"b\" DESC", select.Statement.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_start_is_no_token()
    {
        var select = Select("items", null, new DbOptions { Start = "" });
        Assert.DoesNotContain("WHERE", select.Statement.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("!!!")]
    [InlineData("abc")]
    [InlineData("é")]
    [InlineData("bnVsbA")] // null
    [InlineData("e30")] // {}
    [InlineData("WyJhIiwiYiJd")] // ["a","b"] for a one-column key
    [InlineData("W10")] // []
    public void A_malformed_token_is_a_400(string token)
    {
        var ex = Assert.Throws<DbException>(() => Select("items", null, new DbOptions { Start = token }));
        Assert.Equal(400, ex.Status);
    }

    [Theory]
    [InlineData("[\"x\",\"notanumber\"]")]
    [InlineData("[\"x\",{\"a\":1}]")]
    [InlineData("[\"x\",1.5]")]
    [InlineData("[\"x\",1e400]")]
    public void A_token_whose_values_do_not_fit_the_key_types_is_a_400(string json)
    {
        var ex = Assert.Throws<DbException>(() => Select("pairs", null, new DbOptions { Start = Token(json) }));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public void Negative_count_is_a_400()
    {
        Assert.Equal(400, Assert.Throws<DbException>(() => Select("items", null, new DbOptions { Count = -1 })).Status);
    }

    // ---- operator names ----

    [Theory]
    [InlineData("", DbCompare.Eq)]
    [InlineData(null, DbCompare.Eq)]
    [InlineData("=", DbCompare.Eq)]
    [InlineData("==", DbCompare.Eq)]
    [InlineData("eq", DbCompare.Eq)]
    [InlineData("EQ", DbCompare.Eq)]
    [InlineData("!=", DbCompare.Ne)]
    [InlineData("<>", DbCompare.Ne)]
    [InlineData("ne", DbCompare.Ne)]
    [InlineData("neq", DbCompare.Ne)]
    [InlineData(">", DbCompare.Gt)]
    [InlineData("gt", DbCompare.Gt)]
    [InlineData(" GT ", DbCompare.Gt)]
    [InlineData(">=", DbCompare.Ge)]
    [InlineData("ge", DbCompare.Ge)]
    [InlineData("gte", DbCompare.Ge)]
    [InlineData("<", DbCompare.Lt)]
    [InlineData("lt", DbCompare.Lt)]
    [InlineData("<=", DbCompare.Le)]
    [InlineData("le", DbCompare.Le)]
    [InlineData("lte", DbCompare.Le)]
    [InlineData("in", DbCompare.In)]
    [InlineData("between", DbCompare.Between)]
    [InlineData("begins_with", DbCompare.BeginsWith)]
    [InlineData("Begins_With", DbCompare.BeginsWith)]
    [InlineData("contains", DbCompare.Contains)]
    [InlineData("like", DbCompare.Like)]
    public void Operator_names_parse(string? name, DbCompare expected)
    {
        Assert.True(DbCompareNames.TryParse(name, out var op));
        Assert.Equal(expected, op);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("=>")]
    [InlineData("begins")]
    [InlineData("0")]
    public void Unknown_operator_names_do_not_parse(string name)
    {
        Assert.False(DbCompareNames.TryParse(name, out _));
    }
}
