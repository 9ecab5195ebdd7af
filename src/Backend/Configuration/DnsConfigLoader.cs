using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace Backend.Configuration;

/// <summary>
/// The reference's DNS TXT configuration: for every parameter marked <see cref="ConfigParameter.Dns"/>, the TXT record
/// <c>NAME.DOMAIN</c> is queried, all at once, under one deadline (<c>-config-dns-timeout</c>), so an unreachable DNS
/// server delays start-up by that much at most.
/// </summary>
internal static class DnsConfigLoader
{
    /// <summary>What the queries found: a value per parameter (by canonical name), and the problems that leave a
    /// parameter without its DNS value (timeouts, server failures), which are warnings, not errors.</summary>
    internal sealed record Result(IReadOnlyList<ConfigEntry> Entries, IReadOnlyList<string> Warnings);

    /// <summary>Origin of a DNS value in messages: the record it came from.</summary>
    internal static string Origin(string recordName) => $"DNS TXT record {recordName}";

    /// <summary>Queries <c>NAME.DOMAIN</c> TXT for each of <paramref name="parameters"/>.</summary>
    /// <exception cref="ConfigException">Several TXT records for a parameter that takes one value.</exception>
    public static async Task<Result> QueryAsync(IReadOnlyList<ConfigParameter> parameters, string domain, IPEndPoint? server, TimeSpan timeout)
    {
        domain = domain.Trim().Trim('.');
        if (parameters.Count == 0 || domain.Length == 0) return new Result([], []);
        var options = server is null ? new LookupClientOptions() : new LookupClientOptions(server);
        // No retries and no cache: one try per query within the one deadline below; a stale cached answer would hide
        // a changed record from a restart.
        options.Timeout = timeout;
        options.Retries = 0;
        options.UseCache = false;
        options.ThrowDnsErrors = false;
        // A long TXT value may not fit a UDP answer; the reply then says "truncated" and TCP gets the whole of it.
        options.UseTcpFallback = true;
        var client = new LookupClient(options);
        var serverName = server?.ToString() ?? "the system resolver";

        using var deadline = new CancellationTokenSource(timeout);
        var queries = parameters.Select(p => (Parameter: p, Name: $"{p.Name}.{domain}",
            Task: client.QueryAsync($"{p.Name}.{domain}", QueryType.TXT, QueryClass.IN, deadline.Token))).ToList();
        // The library's own timeout applies per server it tries (the system resolver may list several); this bounds the
        // whole. Queries still running then are abandoned: their answers would come too late to be used anyway. Each
        // query's outcome is looked at below, so one that failed does not spoil the others' answers.
        await Task.WhenAny(Task.WhenAll(queries.Select(q => q.Task)), Task.Delay(timeout)).ConfigureAwait(false);

        var entries = new List<ConfigEntry>();
        var warnings = new List<string>();
        var late = new List<string>();
        foreach (var (parameter, name, task) in queries)
        {
            if (!task.IsCompleted || task.IsCanceled || task.Exception?.InnerException is DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } or OperationCanceledException)
            {
                late.Add(parameter.Name);
                continue;
            }
            if (task.Exception is { } failed)
            {
                warnings.Add($"DNS config: the TXT query of {name} failed ({failed.InnerException?.Message ?? failed.Message}); -{parameter.Name} is not set from DNS");
                continue;
            }
            var response = task.Result;
            if (response.HasError)
            {
                // NXDOMAIN is the usual answer for a parameter that is not configured in DNS: not a problem.
                if (response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
                    warnings.Add($"DNS config: {serverName} answered {response.ErrorMessage} for {name}; -{parameter.Name} is not set from DNS");
                continue;
            }
            // A TXT record is one or more strings of at most 255 bytes: a longer value is split over several, which are
            // joined back without a separator (RFC 7208 3.3 does the same for SPF).
            var values = response.Answers.TxtRecords().Select(r => string.Concat(r.Text)).Where(v => v.Length > 0).ToList();
            if (values.Count == 0) continue;
            if (values.Count > 1 && parameter.Type != ConfigType.List)
            {
                // Name servers rotate the order of records, so "the first" would change from one start to the next.
                throw new ConfigException($"invalid value for -{parameter.Name}: {values.Count.ToString(CultureInfo.InvariantCulture)} TXT records at {name}, one value expected ({Origin(name)})");
            }
            entries.Add(new ConfigEntry(parameter.Name, string.Join(',', values), ConfigSource.Dns, Origin(name)));
        }
        if (late.Count > 0)
        {
            warnings.Add($"DNS config: no answer from {serverName} within {((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)} ms (-config-dns-timeout); started without DNS values for -{string.Join(", -", late)}");
        }
        return new Result(entries, warnings);
    }

    /// <summary>Parses <c>-config-dns-server</c>: an IPv4 address, an IPv6 address, <c>IPV4:PORT</c> or
    /// <c>[IPV6]:PORT</c>; port 53 when none is given. Null for empty (the system resolver).</summary>
    public static IPEndPoint? ParseServer(string? value, string givenName)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (IPAddress.TryParse(value, out var address)) return new IPEndPoint(address, 53);
        if (IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port != 0) return endpoint;
        // An address, not a name: resolving a name would need the resolver this setting is there to replace.
        throw new ConfigException($"invalid value for -{givenName}: \"{value}\" is not an IP address or ADDRESS:PORT");
    }
}
