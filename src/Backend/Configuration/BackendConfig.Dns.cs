namespace Backend.Configuration;

/// <content>Values from DNS TXT records (<c>-config-domain</c>; docs/configuration.md, "From DNS").</content>
public sealed partial class BackendConfig
{
    private bool _dnsLoaded;

    /// <summary>The parameters whose value came from DNS, as <c>-name value (DNS TXT record NAME.DOMAIN)</c>, for the
    /// start-up log; empty when none did or no domain is configured.</summary>
    internal IReadOnlyList<string> FromDns { get; private set; } = [];

    /// <summary>
    /// Queries <c>NAME.DOMAIN</c> TXT (<c>DOMAIN</c>: <c>-config-domain</c>, else <c>-domain</c>) for every registered
    /// parameter marked <see cref="ConfigParameter.Dns"/> that neither the command line, the environment nor the
    /// application gave, and adds the values found as a source between the config files and the environment. Runs
    /// once (after the modules registered their parameters); the values are checked by the <see cref="Validate"/> that
    /// follows, like any other. Timeouts and server failures become <see cref="Warnings"/>.
    /// </summary>
    /// <exception cref="ConfigException">A bad -config-dns-server, or several records for a single-value parameter.</exception>
    internal void LoadFromDns()
    {
        if (_dnsLoaded) return;
        _dnsLoaded = true;
        var domain = Get("config-domain") is { Length: > 0 } configDomain ? configDomain : Get("domain");
        if (string.IsNullOrWhiteSpace(domain)) return;
        var server = DnsConfigLoader.ParseServer(Get("config-dns-server"), GivenName("config-dns-server"));
        var timeout = TimeSpan.FromMilliseconds(Math.Max(1, GetLong("config-dns-timeout")));
        List<ConfigParameter> wanted;
        lock (_lock)
        {
            // Explicit values (command line, environment, Set) win, so their records are not even asked for.
            var explicitNames = _ordered.Where(e => e.Source >= ConfigSource.Environment).Select(e => Registry.Canonical(e.Name))
                .Concat(_overrides.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
            wanted = [.. Registry.All.Where(p => p.Dns && !explicitNames.Contains(p.Name))];
        }
        // Start-up is synchronous (Build); the queries run on the thread pool, so no synchronization context is
        // blocked on, and take at most the timeout.
        var result = Task.Run(() => DnsConfigLoader.QueryAsync(wanted, domain, server, timeout)).GetAwaiter().GetResult();
        lock (_lock)
        {
            // After the config files, before the environment and the command line: the order of precedence.
            var at = _ordered.FindIndex(e => e.Source > ConfigSource.Dns);
            _ordered.InsertRange(at < 0 ? _ordered.Count : at, result.Entries);
        }
        _loadWarnings.AddRange(result.Warnings);
        FromDns = [.. result.Entries.Select(e => $"-{e.Name} {ConfigValues.Quote(e.Value)}{e.Where}")];
        Validate();
    }
}
