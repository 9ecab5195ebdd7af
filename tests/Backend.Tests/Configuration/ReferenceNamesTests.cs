using Backend.Configuration;
using Backend.DynamoDb;
using Backend.Hosting;
using Backend.MySql;
using Backend.Postgres;
using MySqlConnector;
using Npgsql;

namespace Backend.Tests.Configuration;

/// <summary>The reference's parameter names (<c>port</c>, <c>bind</c>, <c>db-KIND-tables</c>, <c>db-KIND-min/max/idle</c>,
/// <c>aws-*</c>, ...) work in every source, the project's earlier names stay as aliases, and messages name what the
/// user wrote.</summary>
public sealed class ReferenceNamesTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Theory]
    [InlineData("-port")]
    [InlineData("-api-port")]
    public void The_port_is_read_under_either_name_on_the_command_line(string name)
    {
        var config = _home.Load(name, "9100");
        Assert.Equal(9100, config.GetInt("port"));
        Assert.Equal(9100, config.GetInt("api-port"));
    }

    [Theory]
    [InlineData("BKCS_PORT")]
    [InlineData("BKCS_API_PORT")]
    public void The_port_is_read_under_either_name_from_the_environment(string variable)
    {
        var config = _home.Load([], new Dictionary<string, string> { [variable] = "9200" });
        Assert.Equal(9200, config.GetInt("port"));
    }

    [Fact]
    public void A_2014_config_file_with_the_reference_names_works()
    {
        _home.WriteConfig("port=8080", "bind=0.0.0.0", "db-pgsql-tables=bk_message,bk_counter", "db-pgsql-max=7", "api-upload-limit=2097152", "conf-file=ignored");
        var config = _home.Load();
        config.Validate();
        Assert.Equal(8080, config.GetInt("port"));
        Assert.Equal("0.0.0.0", config.Get("bind"));
        Assert.Equal(["bk_message", "bk_counter"], config.GetList("db-pgsql-tables"));
        Assert.Equal(7, config.GetInt("db-pgsql-max"));
        Assert.Equal(2097152, config.GetLong("api-upload-limit"));
        Assert.DoesNotContain(config.Warnings, w => w.StartsWith("unknown parameter", StringComparison.Ordinal));
    }

    [Fact]
    public void Precedence_and_list_accumulation_span_a_name_and_its_alias()
    {
        _home.WriteConfig("port=8080", "db-pgsql-tables=a");
        var config = _home.Load("-api-port", "8090", "-db-pgsql-pool-tables", "b");
        Assert.Equal(8090, config.GetInt("port"));
        Assert.Equal(["a", "b"], config.GetList("db-pgsql-tables"));
        Assert.Equal(["a", "b"], config.GetList("db-pgsql-pool-tables"));
    }

    [Theory]
    [InlineData("-api-port", "invalid value for -api-port: 0 is out of range 1..65535")]
    [InlineData("-port", "invalid value for -port: 0 is out of range 1..65535")]
    public void A_message_names_the_parameter_as_the_user_wrote_it(string name, string message)
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load(name, "0").Validate());
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Help_lists_each_parameter_once_with_its_aliases()
    {
        var help = ConfigRegistry.CreateDefault().FormatHelp().Split('\n');
        var port = Assert.Single(help, l => l.Contains("(also -api-port)", StringComparison.Ordinal));
        Assert.StartsWith("  -port ", port, StringComparison.Ordinal);
        Assert.DoesNotContain(help, l => l.StartsWith("  -api-port ", StringComparison.Ordinal));
        Assert.Contains(help, l => l.StartsWith("  -db-pgsql-tables ", StringComparison.Ordinal) && l.EndsWith("(also -db-pgsql-pool-tables)", StringComparison.Ordinal));
    }

    [Fact]
    public void Inert_parameters_say_so_in_help()
    {
        var registry = ConfigRegistry.CreateDefault();
        foreach (var name in new[] { "db-sqlite-idle" })
        {
            Assert.True(registry.TryGet(name, out var parameter));
            Assert.Contains("no effect", parameter.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_process_roles_are_no_longer_inert()
    {
        var registry = ConfigRegistry.CreateDefault();
        foreach (var name in new[] { "web", "master", "monitor", "daemon", "watch" })
        {
            Assert.True(registry.TryGet(name, out var parameter));
            Assert.DoesNotContain("no effect", parameter.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_alias_cannot_shadow_another_parameter()
    {
        var registry = ConfigRegistry.CreateDefault();
        Assert.Throws<ArgumentException>(() => registry.Add(new ConfigParameter("x-new", ConfigType.Int, null, "d") { Aliases = ["port"] }));
        Assert.Throws<ArgumentException>(() => registry.Add(new ConfigParameter("x-new", ConfigType.Int, null, "d") { Aliases = ["api-port"] }));
        Assert.Throws<ArgumentException>(() => registry.Add(new ConfigParameter("api-port", ConfigType.Int, null, "d")));
    }

    [Fact]
    public void Pool_settings_take_the_pools_own_sizes_else_the_general_ones()
    {
        var config = _home.Load("-db-max-connections", "9", "-db-pgsql-max", "7", "-db-pgsql-min", "2", "-db-pgsql-idle", "60500", "-db-timeout", "4000", "-db-mysql-timeout", "2000", "-db-connect-timeout", "700");
        config.Validate();
        var pg = BackendApplicationBuilder.PoolSettings(config, "pgsql", "postgresql://u:p@127.0.0.1/db");
        Assert.Equal((7, 2, (int?)60500, 700, 4000), (pg.MaxConnections, pg.MinConnections, pg.IdleTimeoutMs, pg.ConnectTimeoutMs, pg.TimeoutMs));
        var my = BackendApplicationBuilder.PoolSettings(config, "mysql", "mysql://u:p@127.0.0.1/db");
        Assert.Equal((9, 0, (int?)null, 2000), (my.MaxConnections, my.MinConnections, my.IdleTimeoutMs, my.TimeoutMs));
        Assert.Equal(Path.Combine(_home.Root, "var"), my.DataDirectory);

        var npgsql = new NpgsqlConnectionStringBuilder(PostgresDriverFactory.ConnectionString(pg));
        Assert.Equal((7, 2, 61, 4), (npgsql.MaxPoolSize, npgsql.MinPoolSize, npgsql.ConnectionIdleLifetime, npgsql.CommandTimeout));
        var mysql = new MySqlConnectionStringBuilder(MySqlDriverFactory.ConnectionString(my));
        Assert.Equal((9u, 0u, 2u), (mysql.MaximumPoolSize, mysql.MinimumPoolSize, mysql.DefaultCommandTimeout));
        var mysqlOwn = new MySqlConnectionStringBuilder(MySqlDriverFactory.ConnectionString(
            BackendApplicationBuilder.PoolSettings(_home.Load("-db-mysql-max", "5", "-db-mysql-min", "9", "-db-mysql-idle", "3000"), "mysql", "mysql://h/db")));
        // a minimum above the maximum is held to it
        Assert.Equal((5u, 5u, 3u), (mysqlOwn.MaximumPoolSize, mysqlOwn.MinimumPoolSize, mysqlOwn.ConnectionIdleTimeout));
    }

    [Theory]
    [InlineData("-db-pgsql-max", "0")]
    [InlineData("-db-mysql-min", "-1")]
    [InlineData("-db-pgsql-idle", "10")]
    [InlineData("-db-dynamodb-max", "x")]
    public void Bad_pool_sizes_are_one_line_errors(string name, string value)
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load(name, value).Validate());
        Assert.StartsWith($"invalid value for {name}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aws_settings_fill_what_the_dynamodb_url_leaves_out()
    {
        var aws = new AwsSettings("AKIA1", "secret1", "eu-west-1");
        var none = DynamoDbDriverFactory.WithDefaults(DynamoDbDriverFactory.Parse("default"), aws);
        Assert.Equal(("AKIA1", "secret1", "eu-west-1"), (none.Key, none.Secret, none.Region));
        var own = DynamoDbDriverFactory.WithDefaults(DynamoDbDriverFactory.Parse("http://127.0.0.1:4567?region=us-east-2&key=k&secret=s"), aws);
        Assert.Equal(("k", "s", "us-east-2", "http://127.0.0.1:4567"), (own.Key, own.Secret, own.Region, own.Endpoint));
        var keyOnly = DynamoDbDriverFactory.WithDefaults(DynamoDbDriverFactory.Parse("default"), new AwsSettings("AKIA1", null, null));
        Assert.Null(keyOnly.Key);
    }

    [Fact]
    public void AddDynamoDb_registers_the_aws_parameters()
    {
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home.Root, "-aws-region", "eu-west-1", "-aws-key", "k", "-aws-secret", "s"]);
        builder.AddDynamoDb();
        builder.Config.Validate();
        Assert.DoesNotContain(builder.Config.Warnings, w => w.Contains("aws", StringComparison.Ordinal));
        Assert.Equal("eu-west-1", builder.Config.Get("aws-region"));
        Assert.Contains("aws-secret", builder.Parameters.FormatHelp(), StringComparison.Ordinal);
    }
}
