using NetArchTest.Rules;

namespace Backend.Tests.Jobs;

/// <summary>The jobs module keeps the module rules of docs/architecture.md: no API module, no HTTP, no driver or pool;
/// its storage is the Db facade.</summary>
public sealed class JobsDependencyTests
{
    [Fact]
    public void Jobs_reach_data_only_through_the_facade_and_know_no_api_module()
    {
        var result = Types.InAssembly(typeof(Backend.Data.Db).Assembly).That().ResideInNamespace("Backend.Jobs").ShouldNot()
            .HaveDependencyOnAny("Backend.Api", "Backend.Http", "Backend.Auth", "Backend.Data.IDbDriver", "Backend.Data.DbPools", "Backend.Data.Sql", "Backend.Data.Sqlite")
            .GetResult();
        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }
}
