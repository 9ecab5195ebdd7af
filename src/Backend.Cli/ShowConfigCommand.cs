#nullable enable
using System.Text;
using System.Text.RegularExpressions;
using Backend.Configuration;

namespace Backend.Cli;

/// <summary><c>bkcs show-config [NAME ...]</c>: the effective value of each parameter and where it came from (config
/// file and line, environment variable, DNS record, command line or default), secrets masked. Without names: every
/// parameter that has a value, and the unregistered names some source gave. Exit 2 for an unknown name.</summary>
internal static partial class ShowConfigCommand
{
    private const string Masked = "*****";

    public static async Task<int> RunAsync(BackendConfig config, TextWriter stdout, TextWriter stderr)
    {
        var rows = new List<(string Name, string Value, string Source)>();
        if (config.Arguments.Count > 0)
        {
            foreach (var given in config.Arguments)
            {
                var name = given.TrimStart('-');
                if (!config.Registry.TryGet(name, out _) && !config.IsSet(name))
                {
                    await stderr.WriteLineAsync($"bkcs show-config: unknown parameter '{given}'; 'bkcs help config' lists them");
                    return 2;
                }
                rows.Add(Row(config, name));
            }
        }
        else
        {
            foreach (var parameter in config.Registry.All.OrderBy(p => p.Name, StringComparer.Ordinal))
                if (!string.IsNullOrEmpty(config.Get(parameter.Name))) rows.Add(Row(config, parameter.Name));
            foreach (var name in config.UnregisteredNames().Order(StringComparer.Ordinal))
                rows.Add(Row(config, name) with { Source = config.SourceOf(name) + ", not a registered parameter" });
        }
        var nameWidth = rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max();
        var valueWidth = Math.Min(60, rows.Select(r => r.Value.Length).DefaultIfEmpty(0).Max());
        var text = new StringBuilder();
        foreach (var (name, value, source) in rows)
            text.Append(name.PadRight(nameWidth)).Append("  ").Append(value.PadRight(valueWidth)).Append("  (").Append(source).Append(")\n");
        await stdout.WriteAsync(text.ToString());
        return 0;
    }

    private static (string Name, string Value, string Source) Row(BackendConfig config, string name)
    {
        config.Registry.TryGet(name, out var parameter);
        var canonical = parameter?.Name ?? name;
        var value = parameter?.Type == ConfigType.Path ? config.GetPath(canonical) ?? "" : config.Get(canonical) ?? "";
        return ("-" + canonical, Mask(canonical, value), config.SourceOf(canonical));
    }

    /// <summary>Hides what would let a reader of the output into a database or account: the whole value of a parameter
    /// named as a secret (-logwatcher-smtp-password, -aws-secret, ...), the password of a URL (postgresql://u:PASS@h) and
    /// secret-like query parameters (?key=&amp;secret= of a DynamoDB pool). Paths (-ssl-key is a file name) stay.</summary>
    internal static string Mask(string name, string value)
    {
        if (value.Length == 0) return value;
        if (SecretName().IsMatch(name) && !name.StartsWith("ssl-key", StringComparison.Ordinal)) return Masked;
        value = UrlPassword().Replace(value, "${head}" + Masked + "@");
        return SecretQuery().Replace(value, "${head}" + Masked);
    }

    [GeneratedRegex(@"(secret|password|passphrase|passwd|token|(^|-)key)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?<head>://[^/:@\s]*:)[^@/\s]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?<head>[?&;](key|secret|password|token|pass)=)[^&;\s]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretQuery();
}
