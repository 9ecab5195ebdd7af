using System.Reflection;
using Backend.Data;
using NetArchTest.Rules;

namespace Backend.Tests.Architecture;

/// <summary>The dependency rules of docs/architecture.md ("Dependency rules"): each test fails when an arrow comes
/// back the wrong way, naming the offending types.</summary>
public sealed class DependencyTests
{
    private static readonly Assembly Core = typeof(Db).Assembly;

    private static void AssertKept(NetArchTest.Rules.TestResult result, string rule) =>
        Assert.True(result.IsSuccessful, $"{rule}: {string.Join(", ", result.FailingTypeNames ?? [])}");

    [Theory]
    [InlineData("Backend.Configuration")]
    [InlineData("Backend.Data")]
    [InlineData("Backend.Geo")]
    [InlineData("Backend.Security")]
    [InlineData("Backend.Files")]
    [InlineData("Backend.PubSub")]
    [InlineData("Backend.Push")]
    public void The_lower_layers_never_reference_http_auth_api_or_hosting(string layer) =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace(layer).ShouldNot()
            .HaveDependencyOnAny("Backend.Http", "Backend.Auth", "Backend.Api", "Backend.Hosting").GetResult(), $"{layer} -> upper layer");

    [Fact]
    public void Configuration_depends_on_nothing_else_of_the_core() =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace("Backend.Configuration").ShouldNot()
            .HaveDependencyOnAny("Backend.Data", "Backend.Geo", "Backend.Security", "Backend.Files", "Backend.PubSub").GetResult(), "Configuration -> core");

    [Fact]
    public void The_core_never_references_a_provider_assembly()
    {
        var references = Core.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain(references, n => n is "Backend.Postgres" or "Backend.MySql" or "Backend.DynamoDb" or "Backend.Redis" or "Backend.Memcached" or "Backend.RabbitMq" or "Backend.NetMq");
        AssertKept(Types.InAssembly(Core).ShouldNot().HaveDependencyOnAny("Npgsql", "MySqlConnector", "Amazon", "StackExchange.Redis", "RabbitMQ.Client", "NetMQ").GetResult(), "core -> client library");
    }

    [Fact]
    public void The_memcached_client_uses_nothing_of_the_core() =>
        AssertKept(Types.InAssembly(typeof(Backend.Memcached.Client.MemcachedClient).Assembly).That().ResideInNamespace("Backend.Memcached.Client")
            .ShouldNot().HaveDependencyOnAny("Backend.Cache", "Backend.Configuration", "Backend.Data", "Backend.Hosting", "Backend.Http", "Backend.Auth", "Backend.Api")
            .GetResult(), "Backend.Memcached.Client -> core");

    [Theory]
    [InlineData(typeof(Backend.Redis.RedisDriver))]
    [InlineData(typeof(Backend.DynamoDb.DynamoDbDriver))]
    public void Non_sql_drivers_do_not_use_the_sql_builder(Type driver) =>
        AssertKept(Types.InAssembly(driver.Assembly).ShouldNot().HaveDependencyOn("Backend.Data.Sql").GetResult(), $"{driver.Assembly.GetName().Name} -> Backend.Data.Sql");

    [Theory]
    [InlineData(typeof(Backend.Postgres.PostgresDriver))]
    [InlineData(typeof(Backend.MySql.MySqlDriver))]
    [InlineData(typeof(Backend.Redis.RedisDriver))]
    [InlineData(typeof(Backend.DynamoDb.DynamoDbDriver))]
    [InlineData(typeof(Backend.Memcached.Client.MemcachedClient))]
    [InlineData(typeof(Backend.RabbitMq.RabbitMqPubSub))]
    [InlineData(typeof(Backend.NetMq.NetMqPubSub))]
    public void Providers_stay_below_http_auth_and_the_api(Type driver) =>
        AssertKept(Types.InAssembly(driver.Assembly).That().DoNotResideInNamespace("Backend.Hosting").ShouldNot()
            .HaveDependencyOnAny("Backend.Http", "Backend.Auth", "Backend.Api").GetResult(), $"{driver.Assembly.GetName().Name} -> upper layer");

    [Fact]
    public void A_database_error_carries_a_kind_not_an_http_status()
    {
        Assert.Null(typeof(DbException).GetProperty("Status"));
        Assert.NotNull(typeof(DbException).GetProperty(nameof(DbException.Kind)));
        // Every kind maps to a status in the one place that does it.
        foreach (var kind in Enum.GetValues<DbErrorKind>())
            Assert.InRange(Backend.Http.DbErrorStatus.Of(kind), 400, 599);
    }

    private static readonly string[] Modules = ["Accounts", "Connections", "Counters", "Locations", "Messages", "Status", "Data"];

    public static TheoryData<string> ModuleNames => [.. Modules];

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void An_api_module_never_references_another_module(string module) =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace($"Backend.Api.{module}").ShouldNot()
            .HaveDependencyOnAny([.. Modules.Where(m => m != module).Select(m => $"Backend.Api.{m}")]).GetResult(), $"Api.{module} -> another module");

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void An_api_module_never_references_a_driver_or_a_pool(string module) =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace($"Backend.Api.{module}").ShouldNot()
            .HaveDependencyOnAny("Backend.Data.IDbDriver", "Backend.Data.DbPools", "Backend.Data.Sql", "Backend.Data.Sqlite").GetResult(), $"Api.{module} -> driver");

    [Fact]
    public void Auth_does_not_depend_on_the_api() =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace("Backend.Auth").ShouldNot()
            .HaveDependencyOnAny("Backend.Api", "Backend.Hosting").GetResult(), "Auth -> Api");

    [Fact]
    public void Http_does_not_depend_on_auth_api_or_hosting() =>
        AssertKept(Types.InAssembly(Core).That().ResideInNamespace("Backend.Http").ShouldNot()
            .HaveDependencyOnAny("Backend.Auth", "Backend.Api", "Backend.Hosting").GetResult(), "Http -> upper layer");
}
