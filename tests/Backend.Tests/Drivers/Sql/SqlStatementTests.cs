using Backend.Configuration;
using Backend.Data;
using Backend.MySql;
using Backend.Postgres;
using MySqlConnector;
using Npgsql;

namespace Backend.Tests.Drivers.Sql;

/// <summary>The SQL the PostgreSQL and MySQL builders write, and how pool URLs become connection strings (no server needed).</summary>
public sealed class SqlStatementTests
{
    private static readonly TableSchema Items = new("items",
    [
        new ColumnSchema { Name = "id", Primary = 1 },
        new ColumnSchema { Name = "name", Index = 1 },
        new ColumnSchema { Name = "n", Type = ColumnType.Int },
        new ColumnSchema { Name = "doc", Type = ColumnType.Json },
        new ColumnSchema { Name = "hits", Type = ColumnType.Counter },
        new ColumnSchema { Name = "flag", Type = ColumnType.Bool },
    ]);

    private static DbRequest Request(DbOperation op, params (string, object?)[] values)
    {
        var row = new DbRow();
        foreach (var (k, v) in values) row[k] = v;
        return new DbRequest { Operation = op, Table = Items, Row = row };
    }

    [Fact]
    public void Postgres_put_replaces_every_non_key_column_and_binds_json_as_jsonb()
    {
        var st = new PostgresSqlBuilder().Build(Request(DbOperation.Put, ("id", "a"), ("doc", System.Text.Json.Nodes.JsonNode.Parse("{\"x\":1}")), ("flag", true)));
        Assert.Equal("INSERT INTO \"items\" (\"id\", \"doc\", \"flag\") VALUES ($1, $2, $3) ON CONFLICT (\"id\") DO UPDATE SET "
            + "\"name\" = NULL, \"n\" = NULL, \"doc\" = excluded.\"doc\", \"hits\" = NULL, \"flag\" = excluded.\"flag\"", st.Text);
        Assert.Equal("a", st.Parameters[0]);
        Assert.Equal(new PostgresJson("{\"x\":1}"), st.Parameters[1]);
        Assert.Equal(true, st.Parameters[2]);
    }

    [Fact]
    public void Postgres_incr_and_replace_are_on_conflict_upserts()
    {
        var b = new PostgresSqlBuilder();
        Assert.Equal("INSERT INTO \"items\" (\"id\", \"hits\", \"name\") VALUES ($1, $2, $3) ON CONFLICT (\"id\") DO UPDATE SET "
            + "\"hits\" = COALESCE(\"items\".\"hits\", 0) + COALESCE(excluded.\"hits\", 0), \"name\" = excluded.\"name\"",
            b.Build(Request(DbOperation.Incr, ("id", "a"), ("hits", 1L), ("name", "x"))).Text);
        Assert.Equal("INSERT INTO \"items\" (\"id\", \"n\") VALUES ($1, $2) ON CONFLICT (\"id\") DO UPDATE SET \"n\" = excluded.\"n\"",
            b.Build(Request(DbOperation.Replace, ("id", "a"), ("n", 1L))).Text);
        Assert.Equal("INSERT INTO \"items\" (\"id\") VALUES ($1) ON CONFLICT (\"id\") DO NOTHING", b.Build(Request(DbOperation.Replace, ("id", "a"))).Text);
    }

    [Fact]
    public void Postgres_schema_statements()
    {
        var b = new PostgresSqlBuilder();
        Assert.Equal("CREATE TABLE IF NOT EXISTS \"items\" (\"id\" TEXT COLLATE \"C\" NOT NULL, \"name\" TEXT COLLATE \"C\", \"n\" BIGINT, \"doc\" JSONB, "
            + "\"hits\" BIGINT, \"flag\" BOOLEAN, PRIMARY KEY (\"id\"))", b.CreateTable(Items));
        Assert.Equal("ALTER TABLE \"items\" ADD COLUMN IF NOT EXISTS \"n\" BIGINT", b.AddColumn(Items, Items.Column("n")!));
        Assert.StartsWith("CREATE INDEX IF NOT EXISTS \"items_name_", b.CreateIndex(Items, ["name"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_select_orders_nulls_first_ascending_and_last_descending()
    {
        var b = new PostgresSqlBuilder();
        var request = new DbRequest { Operation = DbOperation.Select, Table = Items, Options = new DbOptions { Sort = "name", Desc = true, Count = 2 } };
        Assert.EndsWith("ORDER BY \"name\" DESC NULLS LAST, \"id\" DESC LIMIT $1", b.Select(request).Statement.Text, StringComparison.Ordinal);
        request = new DbRequest { Operation = DbOperation.Select, Table = Items, Options = new DbOptions { Sort = "name" } };
        Assert.EndsWith("ORDER BY \"name\" NULLS FIRST, \"id\"", b.Select(request).Statement.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Like_is_rewritten_to_fold_ascii_case_everywhere_conditions_are_written()
    {
        var conditions = new List<DbCondition> { new("name", DbCompare.Like, "A%"), new("n", DbCompare.Gt, 1L) };
        var select = new PostgresSqlBuilder().Select(new DbRequest { Operation = DbOperation.Select, Table = Items, Conditions = conditions });
        Assert.Contains("WHERE lower(\"name\"::text) LIKE lower($1) ESCAPE '' AND \"n\" > $2", select.Statement.Text, StringComparison.Ordinal);
        Assert.Equal(["A%", 1L], select.Statement.Parameters.Take(2));

        var del = new MySqlSqlBuilder().Build(new DbRequest { Operation = DbOperation.DelAll, Table = Items, Conditions = [new("name", DbCompare.Like, "a\\_%")] });
        Assert.Equal("DELETE FROM `items` WHERE LOWER(`name`) LIKE LOWER(@p0)", del.Text);
        Assert.Equal("a\\\\_%", del.Parameters[0]);
        var update = new MySqlSqlBuilder().Build(new DbRequest
        {
            Operation = DbOperation.UpdateAll, Table = Items, Row = new DbRow { ["n"] = 5L }, Conditions = [new("name", DbCompare.Like, "a%")],
        });
        Assert.Equal("UPDATE `items` SET `n` = @p0 WHERE LOWER(`name`) LIKE LOWER(@p1)", update.Text);
    }

    [Fact]
    public void MySql_upserts_use_on_duplicate_key_update()
    {
        var b = new MySqlSqlBuilder();
        Assert.Equal("INSERT INTO `items` (`id`, `n`) VALUES (@p0, @p1) ON DUPLICATE KEY UPDATE `name` = NULL, `n` = VALUES(`n`), `doc` = NULL, `hits` = NULL, `flag` = NULL",
            b.Build(Request(DbOperation.Put, ("id", "a"), ("n", 1L))).Text);
        Assert.Equal("INSERT INTO `items` (`id`, `hits`, `name`) VALUES (@p0, @p1, @p2) ON DUPLICATE KEY UPDATE `hits` = COALESCE(`hits`, 0) + COALESCE(VALUES(`hits`), 0), `name` = VALUES(`name`)",
            b.Build(Request(DbOperation.Incr, ("id", "a"), ("hits", 1L), ("name", "x"))).Text);
        Assert.Equal("INSERT INTO `items` (`id`, `flag`) VALUES (@p0, @p1) ON DUPLICATE KEY UPDATE `flag` = VALUES(`flag`)",
            b.Build(Request(DbOperation.Replace, ("id", "a"), ("flag", false))).Text);
        Assert.Equal("INSERT INTO `items` (`id`) SELECT @p0 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM `items` WHERE `id` = @p0)",
            b.Build(Request(DbOperation.Incr, ("id", "a"))).Text);
    }

    [Fact]
    public void MySql_schema_statements_bound_key_text_and_use_the_binary_collation()
    {
        var b = new MySqlSqlBuilder("utf8mb4_nopad_bin");
        Assert.Equal("CREATE TABLE IF NOT EXISTS `items` (`id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL, "
            + "`name` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, `n` BIGINT, `doc` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, "
            + "`hits` BIGINT, `flag` TINYINT(1), PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin", b.CreateTable(Items));
        Assert.Matches("^CREATE INDEX `items_name_[0-9a-f]{8}_idx` ON `items` \\(`name`\\)$", b.CreateIndex(Items, ["name"]));
        Assert.Matches("^CREATE INDEX `items_name_[0-9a-f]{8}_idx` ON `items` \\(`name`\\(255\\)\\)$", b.CreateIndex(Items, ["name"], new HashSet<string> { "name" }));
    }

    [Fact]
    public void MySql_key_text_lengths_fit_the_innodb_key_limit()
    {
        var wide = new TableSchema("w",
        [
            new ColumnSchema { Name = "a", Primary = 1 }, new ColumnSchema { Name = "b", Primary = 2 }, new ColumnSchema { Name = "c", Primary = 3 },
            new ColumnSchema { Name = "n", Type = ColumnType.Int, Primary = 4 }, new ColumnSchema { Name = "d", Primary = 5 },
            new ColumnSchema { Name = "x", Index = 1 }, new ColumnSchema { Name = "y", Index = 1 }, new ColumnSchema { Name = "z" },
        ]);
        var lengths = MySqlSqlBuilder.KeyTextLengths(wide);
        Assert.Equal((3072 - 8) / 16, lengths["a"]);
        Assert.Equal(255, lengths["x"]);
        Assert.False(lengths.ContainsKey("z"));
        Assert.All(new[] { "a", "b", "c", "d" }, c => Assert.True(4 * 4 * lengths[c] + 8 <= 3072));
    }

    [Fact]
    public void Postgres_urls_become_pooled_connection_strings()
    {
        var cs = new NpgsqlConnectionStringBuilder(PostgresDriverFactory.ConnectionString("postgresql://us%40er:p%3Ass@db.example:6543/my%20db?sslmode=require&Application_Name=x", 7, 2500));
        Assert.Equal("db.example", cs.Host);
        Assert.Equal(6543, cs.Port);
        Assert.Equal("us@er", cs.Username);
        Assert.Equal("p:ss", cs.Password);
        Assert.Equal("my db", cs.Database);
        Assert.Equal(7, cs.MaxPoolSize);
        Assert.Equal(3, cs.Timeout);
        Assert.Equal(SslMode.Require, cs.SslMode);
        Assert.Equal("x", cs.ApplicationName);
        Assert.Equal(5432, new NpgsqlConnectionStringBuilder(PostgresDriverFactory.ConnectionString("postgres://h/db", 1, 100)).Port);
    }

    [Fact]
    public void MySql_urls_become_pooled_connection_strings_reporting_found_rows()
    {
        var cs = new MySqlConnectionStringBuilder(MySqlDriverFactory.ConnectionString("mysql://u:p%40ss@127.0.0.1:3307/backend?sslmode=none", 9, 3000));
        Assert.Equal("127.0.0.1", cs.Server);
        Assert.Equal(3307u, cs.Port);
        Assert.Equal("u", cs.UserID);
        Assert.Equal("p@ss", cs.Password);
        Assert.Equal("backend", cs.Database);
        Assert.Equal(9u, cs.MaximumPoolSize);
        Assert.Equal(3u, cs.ConnectionTimeout);
        Assert.False(cs.UseAffectedRows);
        Assert.False(cs.AllowUserVariables);
        Assert.Equal(MySqlSslMode.None, cs.SslMode);
        Assert.Equal(3306u, new MySqlConnectionStringBuilder(MySqlDriverFactory.ConnectionString("mysql://h/db", 1, 100)).Port);
    }

    [Theory]
    [InlineData("pgsql", "not a url")]
    [InlineData("pgsql", "mysql://h/db")]
    [InlineData("pgsql", "postgresql://h/db?nosuchoption=1")]
    [InlineData("mysql", "postgresql://h/db")]
    [InlineData("mysql", "mysql:///db")]
    [InlineData("mysql", "mysql://h/db?nosuchoption=1")]
    public void Malformed_urls_are_config_errors(string kind, string url)
    {
        var ex = Assert.Throws<ConfigException>(() => kind == "pgsql" ? PostgresDriverFactory.ConnectionString(url, 1, 1000) : MySqlDriverFactory.ConnectionString(url, 1, 1000));
        Assert.Contains($"-db-{kind}-pool", ex.Message, StringComparison.Ordinal);
    }
}
