using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Backend.Configuration;
using Backend.Hosting;
using Backend.Tests.Server;

namespace Backend.Tests.Configuration;

/// <summary>-config-domain: parameters marked DNS from TXT records of a real DNS server (dnsmasq on loopback).</summary>
public sealed class DnsConfigTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    private const string Domain = "app." + DnsmasqServer.Zone;

    // The registry bkcs has: the core's parameters and the providers' (redis-host, memcache-host, msg-host...).
    private static ConfigRegistry Registry() => BackendApplicationBuilder.CreateBuilder(["-log", "none", "-home", Path.GetTempPath()])
        .AddRedis().AddMemcached().AddNetMq().Parameters;

    private BackendConfig Load(DnsmasqServer dns, string[]? args = null, Dictionary<string, string>? environment = null)
    {
        var config = _home.Load(["-config-domain", Domain, "-config-dns-server", dns.Address, .. args ?? []], environment, Registry());
        config.LoadFromDns();
        return config;
    }

    [Fact]
    public async Task Values_come_from_the_TXT_records_of_the_domain()
    {
        await using var dns = await DnsmasqServer.StartAsync(
            ("redis-host.app", ["10.0.0.5"]), ("redis-port.app", ["6390"]),
            ("logwatcher-email.app", ["ops@example.com"]), ("logwatcher-email.app", ["dev@example.com"]));

        var config = Load(dns);

        Assert.Equal("10.0.0.5", config.Get("redis-host"));
        Assert.Equal(6390, config.GetInt("redis-port"));
        // Several records of a list parameter are its items (their order is the server's).
        Assert.Equal(["dev@example.com", "ops@example.com"], config.GetList("logwatcher-email").Order(StringComparer.Ordinal));
        Assert.True(config.IsSet("redis-host"));
        Assert.Contains(config.FromDns, l => l.StartsWith("-redis-port \"6390\"", StringComparison.Ordinal) && l.Contains("redis-port." + Domain, StringComparison.Ordinal));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public async Task Without_a_domain_nothing_is_asked()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.0.5"]));

        var config = _home.Load(["-config-dns-server", dns.Address], null, Registry());
        config.LoadFromDns();

        Assert.Equal("127.0.0.1", config.Get("redis-host"));
        Assert.False(config.IsSet("redis-host"));
    }

    [Fact]
    public async Task The_domain_parameter_is_the_default_config_domain()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.0.5"]));

        var config = _home.Load(["-domain", Domain, "-config-dns-server", dns.Address], null, Registry());
        config.LoadFromDns();

        Assert.Equal("10.0.0.5", config.Get("redis-host"));
    }

    [Fact]
    public async Task The_command_line_and_the_environment_win_over_DNS_which_wins_over_the_config_files()
    {
        await using var dns = await DnsmasqServer.StartAsync(
            ("redis-host.app", ["10.0.0.5"]), ("redis-port.app", ["6390"]), ("msg-host.app", ["10.0.0.9"]),
            ("memcache-host.app", ["10.0.0.1:11211"]));
        _home.WriteConfig("redis-port=7001", "msg-host=10.0.0.1", "memcache-host=10.9.9.9:11211");
        _home.WriteLocal("msg-host=10.0.0.2");

        var config = Load(dns, ["-redis-host", "192.168.1.1"], new() { ["BKCS_REDIS_PORT"] = "7003" });

        Assert.Equal("192.168.1.1", config.Get("redis-host"));
        Assert.Equal(7003, config.GetInt("redis-port"));
        // Over both files; a list from DNS replaces the files' items rather than adding to them.
        Assert.Equal(["10.0.0.9"], config.GetList("msg-host"));
        Assert.Equal(["10.0.0.1:11211"], config.GetList("memcache-host"));
        Assert.DoesNotContain(config.FromDns, l => l.StartsWith("-redis-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_value_set_by_the_application_wins_over_DNS()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.0.5"]));
        var config = _home.Load(["-config-domain", Domain, "-config-dns-server", dns.Address], null, Registry());
        config.Set("redis-host", "10.1.1.1");

        config.LoadFromDns();

        Assert.Equal("10.1.1.1", config.Get("redis-host"));
    }

    [Fact]
    public async Task A_bad_value_is_a_start_up_error_naming_the_record()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-port.app", ["63a9"]));

        var ex = Assert.Throws<ConfigException>(() => Load(dns));

        Assert.Equal($"invalid value for -redis-port: \"63a9\" is not an integer (DNS TXT record redis-port.{Domain})", ex.Message);
    }

    [Fact]
    public async Task An_out_of_range_value_is_checked_as_from_any_other_source()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-port.app", ["70000"]));

        var ex = Assert.Throws<ConfigException>(() => Load(dns));

        Assert.Contains("-redis-port: 70000 is out of range 1..65535", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_records_for_a_single_value_parameter_are_an_error()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.0.5"]), ("redis-host.app", ["10.0.0.6"]));

        var ex = Assert.Throws<ConfigException>(() => Load(dns));

        Assert.Contains($"-redis-host: 2 TXT records at redis-host.{Domain}, one value expected", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_strings_of_one_record_are_joined()
    {
        // A value longer than 255 bytes has to be split into several strings of one record.
        var longList = string.Join(',', Enumerable.Range(1, 30).Select(i => $"10.0.0.{i.ToString(CultureInfo.InvariantCulture)}:11211"));
        var chunks = longList.Chunk(200).Select(c => new string(c)).ToArray();
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.", "0.7"]), ("memcache-host.app", chunks));

        var config = Load(dns);

        Assert.Equal("10.0.0.7", config.Get("redis-host"));
        Assert.True(longList.Length > 255);
        Assert.Equal(30, config.GetList("memcache-host").Count);
        Assert.Equal("10.0.0.30:11211", config.GetList("memcache-host")[^1]);
    }

    [Fact]
    public async Task A_missing_record_leaves_the_default()
    {
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["10.0.0.5"]));

        var config = Load(dns);

        Assert.Equal(6379, config.GetInt("redis-port"));
        Assert.False(config.IsSet("redis-port"));
        Assert.Equal(["127.0.0.1:11211"], config.GetList("memcache-host"));
        // NXDOMAIN is the normal answer for a parameter not kept in DNS: no warning.
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void An_unreachable_DNS_server_delays_start_up_by_the_timeout_at_most()
    {
        using var hole = DnsmasqServer.BlackHole(out var port);
        var config = _home.Load(["-config-domain", Domain, "-config-dns-server", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "-config-dns-timeout", "1000"], null, Registry());

        var watch = Stopwatch.StartNew();
        config.LoadFromDns();
        watch.Stop();

        // Five parameters asked one after another would take five timeouts; all at once under one deadline take one.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"returned after {watch.Elapsed}, before the timeout");
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(3500), $"took {watch.Elapsed} with a 1000 ms timeout");
        Assert.True(hole.Available > 0, "the queries were not sent to the configured server");
        Assert.Equal("127.0.0.1", config.Get("redis-host"));
        var warning = Assert.Single(config.Warnings);
        Assert.Contains("no answer from 127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + " within 1000 ms", warning, StringComparison.Ordinal);
        Assert.Contains("-redis-host", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dns.example.com")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:99999")]
    public void A_bad_DNS_server_is_a_configuration_error(string server)
    {
        var config = _home.Load(["-config-domain", Domain, "-config-dns-server", server], null, Registry());

        var ex = Assert.Throws<ConfigException>(config.LoadFromDns);

        Assert.StartsWith("invalid value for -config-dns-server: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_connects_to_the_Redis_host_and_port_from_DNS()
    {
        // A TCP listener stands for Redis: the cache connects to it at start-up only if -redis-port came from DNS
        // (the default, 6379, is elsewhere).
        using var redis = new TcpListener(IPAddress.Loopback, 0);
        redis.Start();
        var redisPort = ((IPEndPoint)redis.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        await using var dns = await DnsmasqServer.StartAsync(("redis-host.app", ["127.0.0.1"]), ("redis-port.app", [redisPort]));

        await using var server = await BackendServer.StartAsync(["-config-domain", Domain, "-config-dns-server", dns.Address, "-cache-type", "redis"]);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var connection = await redis.AcceptTcpClientAsync(cts.Token);
        Assert.Contains($"Parameters from DNS: -redis-host \"127.0.0.1\" (DNS TXT record redis-host.{Domain})", server.Output, StringComparison.Ordinal);
        Assert.Contains($"-redis-port \"{redisPort}\" (DNS TXT record redis-port.{Domain})", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_starts_with_an_unreachable_DNS_server_and_says_so()
    {
        using var hole = DnsmasqServer.BlackHole(out var port);

        await using var server = await BackendServer.StartAsync(["-config-domain", Domain, "-config-dns-server", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "-config-dns-timeout", "1500"]);

        Assert.False(server.HasExited);
        Assert.Contains("no answer from 127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + " within 1500 ms", server.Output, StringComparison.Ordinal);
        Assert.True(hole.Available > 0, "the queries were not sent to the configured server");
    }

    [Fact]
    public async Task A_bad_value_from_DNS_stops_the_server_with_the_record_in_the_message()
    {
        await using var dns = await DnsmasqServer.StartAsync(("logwatcher-email.app", ["ops@example.com"]), ("redis-port.app", ["port"]));

        var (exitCode, _, stderr) = await BackendServer.RunCommandAsync(["run", "-home", _home.Root, "-config-domain", Domain, "-config-dns-server", dns.Address]);

        Assert.Equal(2, exitCode);
        Assert.Contains($"invalid value for -redis-port: \"port\" is not an integer (DNS TXT record redis-port.{Domain})", stderr, StringComparison.Ordinal);
    }
}
