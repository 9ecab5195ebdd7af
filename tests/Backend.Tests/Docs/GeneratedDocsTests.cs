using Backend.Hosting;
using Backend.Configuration;

namespace Backend.Tests.Docs;

public class GeneratedDocsTests
{
    [Fact]
    public void The_configuration_doc_matches_the_registry()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "configuration.md"));
        // The registry bkcs prints: the core's and every provider's parameters.
        var registry = Backend.Hosting.BackendApplicationBuilder.CreateBuilder(["-log", "none", "-home", Path.GetTempPath()])
            .AddPostgres().AddMySql().AddDynamoDb().AddRedis().AddLmdb().AddMemcached().AddRabbitMq().AddNetMq().AddS3().Parameters;
        Assert.Contains(registry.FormatHelp().Trim(), doc, StringComparison.Ordinal);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root (Backend.sln) not found above " + AppContext.BaseDirectory);
    }
}
