using System.Globalization;

namespace Backend.Configuration;

/// <content>Typed reads of the effective values.</content>
public sealed partial class BackendConfig
{
    /// <summary>
    /// The effective raw value (highest-precedence source, else the default), null if neither. A Path has
    /// <c>~</c> expanded; a List gives its accumulated items joined with commas.
    /// </summary>
    public string? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Registry.TryGet(name, out var parameter);
        if (parameter?.Type == ConfigType.List)
        {
            return IsSet(name) ? ConfigValues.JoinList(GetList(name)) : parameter.Default;
        }

        var value = Effective(name)?.Value ?? parameter?.Default;
        return value is not null && parameter?.Type == ConfigType.Path ? ConfigPaths.ExpandUser(value) : value;
    }

    /// <summary>The effective value, or <paramref name="fallback"/> when there is none.</summary>
    public string GetString(string name, string fallback = "") => Get(name) ?? fallback;

    /// <summary>The value as a 32-bit integer; 0 when there is none.</summary>
    /// <exception cref="ConfigException">The value is not an integer or does not fit 32 bits.</exception>
    public int GetInt(string name)
    {
        var value = GetLong(name);
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw Invalid(name, $"{value} does not fit a 32-bit integer");
    }

    /// <summary>The value as a 64-bit integer; 0 when there is none.</summary>
    /// <exception cref="ConfigException">The value is not an integer.</exception>
    public long GetLong(string name)
    {
        var value = Get(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return 0;
        }

        return ConfigValues.TryParseLong(value.Trim(), out var result) ? result : throw Invalid(name, $"{ConfigValues.Quote(value)} is not an integer");
    }

    /// <summary>The value as a number; 0 when there is none.</summary>
    /// <exception cref="ConfigException">The value is not a number.</exception>
    public double GetNumber(string name)
    {
        var value = Get(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return 0;
        }

        return ConfigValues.TryParseNumber(value.Trim(), out var result) ? result : throw Invalid(name, $"{ConfigValues.Quote(value)} is not a number");
    }

    /// <summary>The value as a boolean (1/0, true/false, yes/no, on/off); false when there is none.</summary>
    /// <exception cref="ConfigException">The value is not a boolean word.</exception>
    public bool GetBool(string name)
    {
        var value = Get(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        return ConfigValues.TryParseBool(value, out var result) ? result : throw Invalid(name, $"{ConfigValues.Quote(value)} is not a boolean");
    }

    /// <summary>
    /// The items of a list: every source's comma-separated values in precedence order (config file first, command
    /// line last), an empty value clearing the items before it; the default's items when no source gives any.
    /// For a non-List parameter, the items of the effective value.
    /// </summary>
    public IReadOnlyList<string> GetList(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Registry.TryGet(name, out var parameter);
        if (parameter is not null && parameter.Type != ConfigType.List)
        {
            return ConfigValues.SplitList(Get(name) ?? string.Empty);
        }

        name = Registry.Canonical(name);
        List<ConfigEntry>? entries;
        lock (_lock)
        {
            if (_overrides.TryGetValue(name, out var entry))
            {
                return ConfigValues.SplitList(entry.Value);
            }

            _entries.TryGetValue(name, out entries);
        }

        if (entries is null)
        {
            return ConfigValues.SplitList(parameter?.Default ?? string.Empty);
        }

        var items = new List<string>();
        foreach (var entry in entries)
        {
            if (string.IsNullOrWhiteSpace(entry.Value))
            {
                items.Clear();
            }
            else
            {
                // A DNS record holds the whole list (docs/configuration.md, "From DNS"), so it replaces the files' items.
                if (entry.Source == ConfigSource.Dns) items.Clear();
                items.AddRange(ConfigValues.SplitList(entry.Value));
            }
        }

        return items;
    }

    /// <summary>
    /// A Path value made absolute: <c>~</c> expanded, relative to <see cref="Home"/>; null when there is no value.
    /// <c>home</c> and <c>conf-file</c> give <see cref="Home"/> and <see cref="ConfigFile"/>.
    /// </summary>
    public string? GetPath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var canonical = Registry.Canonical(name);
        if (string.Equals(canonical, ConfigRegistry.HomeParameter, StringComparison.OrdinalIgnoreCase))
        {
            return Home;
        }

        if (string.Equals(canonical, ConfigRegistry.ConfigFileParameter, StringComparison.OrdinalIgnoreCase))
        {
            return ConfigFile;
        }

        var value = Get(name);
        return string.IsNullOrWhiteSpace(value) ? null : ConfigPaths.Resolve(Home, value);
    }

    /// <summary>True when a source or <see cref="Set"/> gave the parameter, false when only the default applies.</summary>
    public bool IsSet(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Effective(name) is not null;
    }

    /// <summary>Effective values under the parameter names and aliases, for the IConfiguration view; List items also as
    /// name:0, name:1...; booleans as true/false and paths resolved, so typed options bind them as the getters read them.</summary>
    internal Dictionary<string, string?> ToDictionary()
    {
        // Every parameter under its name and its aliases (config["api-port"] and config["port"] alike).
        var names = new HashSet<string>(Registry.All.SelectMany(p => p.Aliases.Prepend(p.Name)), StringComparer.OrdinalIgnoreCase);
        names.UnionWith(AllEntries().Select(e => Registry.Canonical(e.Name)));
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (Get(name) is not { } value)
            {
                continue;
            }

            // Typed options bind these values: booleans as true/false (the registry also takes yes/no/1/0...), paths
            // resolved against the home, as GetBool and GetPath give them.
            Registry.TryGet(name, out var parameter);
            data[name] = parameter?.Type switch
            {
                ConfigType.Bool when ConfigValues.TryParseBool(value, out var flag) => flag ? "true" : "false",
                ConfigType.Path => GetPath(name),
                _ => value,
            };
            if (parameter?.Type == ConfigType.List)
            {
                var items = GetList(name);
                for (var i = 0; i < items.Count; i++)
                {
                    data[$"{name}:{i.ToString(CultureInfo.InvariantCulture)}"] = items[i];
                }
            }
        }

        return data;
    }

    /// <summary>Where the effective value of a parameter came from, for <c>bkcs show-config</c>: the file and line, the
    /// environment variable, the DNS record, "command line", "set by the application", or "default" when no source gave
    /// it. For a List, whose items accumulate, the last source that gave items.</summary>
    internal string SourceOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entry = Effective(name);
        return entry is null ? "default" : entry.Origin ?? (entry.Source == ConfigSource.CommandLine ? "command line" : entry.Source.ToString());
    }

    /// <summary>Names given by a source but not registered (kept for apps to read), for <c>bkcs show-config</c>.</summary>
    internal IReadOnlyList<string> UnregisteredNames() =>
        [.. AllEntries().Select(e => e.Name).Where(n => !Registry.TryGet(n, out _)).Distinct(StringComparer.OrdinalIgnoreCase)];

    private ConfigEntry? Effective(string name)
    {
        name = Registry.Canonical(name);
        lock (_lock)
        {
            if (_overrides.TryGetValue(name, out var entry))
            {
                return entry;
            }

            return _entries.TryGetValue(name, out var entries) ? entries[^1] : null;
        }
    }

    private List<ConfigEntry> AllEntries()
    {
        lock (_lock)
        {
            return [.. _ordered, .. _overrides.Values];
        }
    }

    private ConfigException Invalid(string name, string problem)
    {
        var entry = Effective(name);
        return new ConfigException($"invalid value for -{entry?.Name ?? name}: {problem}{entry?.Where}");
    }
}
