using Backend.Configuration;
using Backend.Data;
using Backend.DynamoDb;
using Backend.Hosting;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>Pool URLs and registration.</summary>
public sealed class DynamoDbFactoryTests
{
    [Fact]
    public void An_endpoint_url_gives_endpoint_region_and_credentials()
    {
        var s = DynamoDbDriverFactory.Parse("http://127.0.0.1:4567?region=us-east-1&key=test&secret=t%2Bst");
        Assert.Equal(new DynamoDbDriverFactory.Settings("http://127.0.0.1:4567", "us-east-1", "test", "t+st", null), s);
        Assert.Equal(new DynamoDbDriverFactory.Settings("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1", null, null, null),
            DynamoDbDriverFactory.Parse("https://dynamodb.eu-west-1.amazonaws.com/?region=eu-west-1"));
        Assert.Equal(new DynamoDbDriverFactory.Settings(null, null, null, null, null), DynamoDbDriverFactory.Parse("default"));
        Assert.Equal(new DynamoDbDriverFactory.Settings(null, "ap-south-1", null, null, null), DynamoDbDriverFactory.Parse("default?region=ap-south-1"));
        Assert.Equal("tok", DynamoDbDriverFactory.Parse("http://h:1?key=a&secret=b&token=tok").Token);
    }

    [Theory]
    [InlineData("127.0.0.1:4567")]
    [InlineData("ftp://h:1")]
    [InlineData("http://h:1?key=a")]
    [InlineData("http://h:1?secret=b")]
    [InlineData("http://h:1?token=t")]
    [InlineData("http://h:1?bogus=1")]
    [InlineData("http://h:1?region")]
    [InlineData("http://h:1?region=Not A Region")]
    public void A_malformed_url_is_a_configuration_error(string url)
    {
        var ex = Assert.Throws<ConfigException>(() => DynamoDbDriverFactory.Parse(url));
        Assert.StartsWith("invalid value for -db-dynamodb-pool", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_factory_makes_a_driver_named_dynamodb()
    {
        var config = BackendConfig.Load(["-log", "none"], ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        await using var driver = new DynamoDbDriverFactory().Create(BackendApplicationBuilder.PoolSettings(config, "dynamodb", "http://127.0.0.1:4567?region=us-east-1&key=k&secret=s"), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.Equal("dynamodb", driver.Name);
        Assert.IsType<DynamoDbDriver>(driver);
    }

    [Fact]
    public async Task AddDynamoDb_registers_the_pool_kind()
    {
        var home = Directory.CreateTempSubdirectory("bkcs-dyn-").FullName;
        try
        {
            var builder = BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", "-api-port", "18765", "-db-pool", "dynamodb",
                "-db-dynamodb-pool", "http://127.0.0.1:4567?region=us-east-1&key=k&secret=s"]);
            builder.AddDynamoDb();
            await using var app = builder.Build();
            var pools = (DbPools)app.Services.GetService(typeof(DbPools))!;
            Assert.Contains(pools.All, p => p is DynamoDbDriver);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
