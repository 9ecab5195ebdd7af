using System.Collections;

namespace Backend.Configuration;

/// <summary>
/// Reads parameters from environment variables: <c>BKCS_</c> followed by the parameter name in upper case
/// with '-' written as '_', so <c>BKCS_PORT=9000</c> sets <c>-port 9000</c>. The prefix is matched
/// ignoring case; unregistered names become lower case with '-'.
/// </summary>
internal static class EnvironmentReader
{
    public const string Prefix = "BKCS_";

    /// <summary>The variable that sets a parameter, e.g. <c>BKCS_PORT</c> for <c>port</c>.</summary>
    public static string VariableName(string parameter) => Prefix + parameter.ToUpperInvariant().Replace('-', '_');

    /// <summary>The BKCS_ variables of the current process.</summary>
    public static Dictionary<string, string> Current()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string key && variable.Value is string value && key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>Entries for every BKCS_ variable, in variable-name order so the result does not depend on hashing.</summary>
    public static List<ConfigEntry> Read(IReadOnlyDictionary<string, string> environment, ConfigRegistry registry)
    {
        // Map through the registry so a registered name that contains '_' is still found.
        var known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in registry.All)
        {
            foreach (var name in parameter.Aliases.Prepend(parameter.Name)) known.TryAdd(VariableName(name), name);
        }

        var entries = new List<ConfigEntry>();
        foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (key.Length <= Prefix.Length || !key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = known.GetValueOrDefault(key) ?? ToParameterName(key);
            entries.Add(new ConfigEntry(name, value, ConfigSource.Environment, $"environment variable {key}"));
        }

        return entries;
    }

    private static string ToParameterName(string key) =>
        string.Create(key.Length - Prefix.Length, key, static (span, k) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = k[Prefix.Length + i];
                span[i] = c == '_' ? '-' : char.ToLowerInvariant(c);
            }
        });
}
