using System.Text;

namespace Backend.Configuration;

/// <summary>Formats the parameter reference printed by <c>bkcs help config</c>.</summary>
internal static class ConfigHelpFormatter
{
    private const string Intro = """
        Parameters are given as -name value on the command line (a bare -flag sets a bool to true),
        as name=value lines in etc/config and etc/config.local of the home (or -conf-file FILE and FILE.local),
        or as environment variables BKCS_NAME: the name in upper case with '-' as '_', e.g. BKCS_PORT=9000.
        Precedence: command line > environment > DNS > config.local > config > default; parameters marked
        (DNS) are also read from TXT records NAME.DOMAIN when -config-domain DOMAIN is set.
        List values are comma-separated and accumulate across all sources; an empty value clears them.
        A value that starts with '-' (other than a negative number) is written -name=VALUE.
        """;

    private const string ColumnGap = "  ";

    public static string Format(IEnumerable<ConfigParameter> parameters)
    {
        var rows = parameters
            .Select(p => (p.Section, Name: "-" + p.Name, Type: TypeLabel(p), Default: DefaultLabel(p.Default), Description: WithAliases(p)))
            .ToList();
        var nameWidth = rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max();
        var typeWidth = rows.Select(r => r.Type.Length).DefaultIfEmpty(0).Max();
        var defaultWidth = rows.Select(r => r.Default.Length).DefaultIfEmpty(0).Max();

        var text = new StringBuilder(Intro).Append('\n');
        // "core" first as it is what everyone needs, then the modules alphabetically.
        var sections = rows.GroupBy(r => r.Section, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => string.Equals(g.Key, "core", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase);
        foreach (var section in sections)
        {
            text.Append('\n').Append(section.Key).Append('\n');
            foreach (var row in section.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase))
            {
                var line = ColumnGap + row.Name.PadRight(nameWidth) + ColumnGap + row.Type.PadRight(typeWidth)
                    + ColumnGap + row.Default.PadRight(defaultWidth) + ColumnGap + row.Description;
                text.Append(line.TrimEnd()).Append('\n');
            }
        }

        return text.ToString();
    }

    // Other accepted names follow the description: "... (also -api-port)"; then "(DNS)" for a parameter that may come
    // from a TXT record, as the reference marked them.
    private static string WithAliases(ConfigParameter parameter)
    {
        var text = parameter.Aliases.Count == 0
            ? parameter.Description
            : $"{parameter.Description} (also {string.Join(", ", parameter.Aliases.Select(a => "-" + a))})";
        return parameter.Dns ? text + " (DNS)" : text;
    }

    private static string TypeLabel(ConfigParameter parameter)
    {
        var label = TypeName(parameter.Type);
        if (parameter.Type == ConfigType.List && parameter.ItemType is { } itemType)
        {
            label += " of " + TypeName(itemType);
        }

        return (parameter.Min, parameter.Max) switch
        {
            ({ } min, { } max) => $"{label} {min}..{max}",
            ({ } min, null) => $"{label} >= {min}",
            (null, { } max) => $"{label} <= {max}",
            _ => label,
        };
    }

    private static string TypeName(ConfigType type) => type switch
    {
        ConfigType.Int => "int",
        ConfigType.Number => "number",
        ConfigType.Bool => "bool",
        ConfigType.List => "list",
        ConfigType.Regex => "regex",
        ConfigType.Path => "path",
        ConfigType.Url => "url",
        _ => "string",
    };

    // An empty default is shown as "" so the columns stay readable; no default at all leaves the cell blank.
    private static string DefaultLabel(string? value) => value switch
    {
        null => string.Empty,
        "" => "\"\"",
        _ => value,
    };
}
