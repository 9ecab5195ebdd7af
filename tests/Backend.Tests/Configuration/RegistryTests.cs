using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class RegistryTests
{
    [Fact]
    public void The_default_registry_has_the_core_parameters()
    {
        var registry = ConfigRegistry.CreateDefault();

        string[] expected =
        [
            "home", "conf-file", "log", "debug", "syslog", "syslog-socket", "web", "master",
            "monitor", "no-web", "daemon", "pid-file", "log-file", "err-file", "worker", "proxy-port", "watch", "watch-dir", "repl-file", "repl-port", "repl-bind", "repl-token",
            "domain", "config-domain", "config-dns-server", "config-dns-timeout",
            "server-max-workers", "server-restart-delay", "server-crash-delay", "server-drain-time", "server-job-max-time",
            "server-max-jobs", "server-jobs-interval", "server-jobs-tag",
            "port", "bind", "ssl-port", "ssl-bind", "ssl-cert", "ssl-key", "ssl-pfx", "ssl-passphrase", "ws-port", "ws-bind", "ws-max-message", "ws-max-inflight", "ws-idle-timeout", "ws-max-connections", "backlog", "timeout", "api-headers-timeout", "api-max-connections",
            "api-min-body-rate", "api-min-response-rate", "api-busy-latency", "api-max-requests", "api-rlimits-ip-rate", "api-rlimits-ip-max",
            "api-rlimits-ip-path", "api-rlimits-id-rate", "api-rlimits-id-max", "api-rlimits-id-path", "api-upload-limit", "api-disable", "api-no-session", "api-no-static", "api-access-log", "api-no-access-log", "api-no-metrics", "api-allow", "api-allow-path", "api-disallow-path",
            "api-deny", "api-deny-path", "api-allow-admin", "api-unsecure", "api-session-age", "api-session-max",
            "api-session-max-per-account", "api-signature-max-age", "api-require-checksum", "api-location-cloak", "web-dir",
            "images-dir", "files-dir", "api-image-max-pixels", "api-image-max-side", "api-image-quality", "api-image-concurrency", "api-icon-limit", "api-icon-sizes", "api-images-url", "api-subscribe-interval", "api-subscribe-timeout", "api-status-interval", "min-distance", "max-distance",
            "db-pool", "db-sqlite-pool", "db-busy-timeout", "db-pgsql-pool", "db-mysql-pool", "db-dynamodb-pool", "db-redis-pool", "db-lmdb-pool",
            "db-sqlite-tables", "db-pgsql-tables", "db-mysql-tables", "db-dynamodb-tables", "db-redis-tables", "db-lmdb-tables",
            "db-sqlite-max", "db-sqlite-idle", "db-pgsql-max", "db-pgsql-min", "db-pgsql-idle", "db-mysql-max", "db-mysql-min",
            "db-mysql-idle", "db-dynamodb-max",
            "db-caching", "db-cache-size", "db-cache-ttl", "db-max-connections", "db-connect-timeout",
            "db-timeout", "db-sqlite-timeout", "db-pgsql-timeout", "db-mysql-timeout", "db-dynamodb-timeout", "db-redis-timeout", "db-lmdb-timeout",
            "cache-type", "lru-max", "msg-type",
            "logwatcher-url", "logwatcher-email", "logwatcher-from", "logwatcher-ignore", "logwatcher-match", "logwatcher-interval",
            "logwatcher-file", "logwatcher-smtp-host", "logwatcher-smtp-port", "logwatcher-smtp-tls", "logwatcher-smtp-user",
            "logwatcher-smtp-password",
            "prometheus-port", "prometheus-bind", "prometheus-meters", "collect-host", "collect-interval", "collect-send-interval",
            "apn-cert", "apn-passphrase", "apn-production", "apn-key", "apn-key-id", "apn-team-id", "apn-topic", "apn-host",
            "fcm-key", "fcm-project", "fcm-host", "gcm-key", "webpush-public-key", "webpush-private-key", "webpush-subject",
            "webpush-allow-private", "webpush-ttl", "push-ca-file", "push-timeout", "push-concurrency", "push-queue-size",
            "push-retries", "push-retry-delay", "push-retry-max-delay", "push-triggers", "push-text-message",
            "push-text-connection", "push-text-ping", "push-prefix", "push-sound",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), registry.All.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(registry.TryGet("api-port", out var port));
        Assert.Equal(("port", "8000", 1L, 65535L, "api"), (port.Name, port.Default, port.Min, port.Max, port.Section));
        Assert.True(registry.TryGet("api-bind", out var bind));
        Assert.Equal("127.0.0.1", bind.Default);
    }

    [Fact]
    public void Adding_the_same_name_replaces_and_lookup_ignores_case()
    {
        var registry = new ConfigRegistry();
        registry.Add(new ConfigParameter("x-one", ConfigType.Int, "1", "first"));
        registry.Add(new ConfigParameter("X-ONE", ConfigType.String, "2", "second"));

        Assert.True(registry.TryGet("x-One", out var parameter));
        Assert.Equal("second", parameter.Description);
        Assert.Single(registry.All);
        Assert.False(registry.TryGet("x-two", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-dash")]
    [InlineData("a=b")]
    [InlineData("a b")]
    [InlineData("a:b")]
    public void Invalid_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => new ConfigRegistry().Add(new ConfigParameter(name, ConfigType.String, null, "x")));

    [Fact]
    public void Min_above_max_is_refused() =>
        Assert.Throws<ArgumentException>(() => new ConfigRegistry().Add(new ConfigParameter("x", ConfigType.Int, null, "x") { Min = 2, Max = 1 }));

    [Fact]
    public void Help_lists_every_parameter_with_type_default_and_description()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("zz-extra", ConfigType.Bool, null, "An extra module flag", "aaa"));

        var help = registry.FormatHelp();

        Assert.Contains("BKCS_PORT=9000", help);
        var lines = help.Split('\n');
        foreach (var parameter in registry.All)
        {
            var line = Assert.Single(lines, l => l.StartsWith($"  -{parameter.Name} ", StringComparison.Ordinal));
            Assert.Contains(parameter.Description, line, StringComparison.Ordinal);
            foreach (var alias in parameter.Aliases) Assert.Contains($"-{alias}", line, StringComparison.Ordinal);
            if (!string.IsNullOrEmpty(parameter.Default))
            {
                Assert.Contains($" {parameter.Default} ", line);
            }
        }

        Assert.Contains(lines, l => l.StartsWith("  -port ", StringComparison.Ordinal) && l.Contains("int 1..65535 ") && l.Contains(" 8000 ") && l.EndsWith("(also -api-port)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  -api-allow-path ", StringComparison.Ordinal) && l.Contains("list of regex"));
    }

    [Fact]
    public void Help_is_grouped_by_section_core_first_sorted_by_name_and_aligned()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("zz-extra", ConfigType.Bool, null, "An extra module flag", "aaa"));

        var lines = registry.FormatHelp().Split('\n');

        var sections = lines.Where(l => l.Length > 0 && !l.StartsWith(' ') && registry.All.Any(p => p.Section == l)).ToList();
        Assert.Equal(["core", "aaa", "api", "cache", "db", "logwatcher", "metrics", "msg", "push", "server"], sections);

        var core = lines.SkipWhile(l => l != "core").Skip(1).TakeWhile(l => l.StartsWith("  -", StringComparison.Ordinal)).ToList();
        var names = core.Select(l => l.Trim().Split(' ')[0]).ToList();
        Assert.Equal(names.Order(StringComparer.OrdinalIgnoreCase), names);

        var rows = lines.Where(l => l.StartsWith("  -", StringComparison.Ordinal)).ToList();
        var descriptionColumns = registry.All.Select(p => rows.Single(r => r.StartsWith($"  -{p.Name} ", StringComparison.Ordinal)).LastIndexOf(p.Description, StringComparison.Ordinal));
        Assert.Single(descriptionColumns.Distinct());
    }
}
