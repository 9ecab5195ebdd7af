using System.Diagnostics.CodeAnalysis;

namespace Backend.Configuration;

/// <summary>
/// The documented parameters known to the backend. The core registers its own in
/// <see cref="CreateDefault"/>; modules add theirs before (or re-validate after) loading the config.
/// Names are matched ignoring case.
/// </summary>
public sealed partial class ConfigRegistry
{
    private readonly Dictionary<string, ConfigParameter> _parameters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Registers a parameter; re-adding the same name replaces the earlier definition (and its aliases).</summary>
    /// <exception cref="ArgumentException">The name or an alias is empty, starts with '-', or contains '=', ':' or
    /// whitespace; an alias is the name or alias of another parameter; or Min &gt; Max.</exception>
    public void Add(ConfigParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckDefinition(parameter);
        lock (_lock)
        {
            foreach (var alias in parameter.Aliases)
            {
                if ((_parameters.ContainsKey(alias) && !string.Equals(alias, parameter.Name, StringComparison.OrdinalIgnoreCase))
                    || (_aliases.TryGetValue(alias, out var owner) && !string.Equals(owner, parameter.Name, StringComparison.OrdinalIgnoreCase)))
                    throw new ArgumentException($"parameter {parameter.Name}: the alias {alias} is already a parameter or an alias of another", nameof(parameter));
            }
            if (_aliases.TryGetValue(parameter.Name, out var aliased))
                throw new ArgumentException($"parameter {parameter.Name}: the name is already an alias of {aliased}", nameof(parameter));
            if (_parameters.TryGetValue(parameter.Name, out var earlier))
            {
                foreach (var alias in earlier.Aliases) _aliases.Remove(alias);
            }
            _parameters[parameter.Name] = parameter;
            foreach (var alias in parameter.Aliases) _aliases[alias] = parameter.Name;
        }
    }

    /// <summary>Looks up a parameter by name or alias (without the leading '-').</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out ConfigParameter? parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_parameters.TryGetValue(name, out parameter)) return true;
            return _aliases.TryGetValue(name, out var canonical) && _parameters.TryGetValue(canonical, out parameter);
        }
    }

    /// <summary>The parameter's name for a name or alias; an unregistered name as it is.</summary>
    public string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_parameters.TryGetValue(name, out var parameter)) return parameter.Name;
            return _aliases.TryGetValue(name, out var canonical) ? canonical : name;
        }
    }

    /// <summary>A snapshot of every registered parameter, sorted by name.</summary>
    public IReadOnlyCollection<ConfigParameter> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _parameters.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)];
            }
        }
    }

    /// <summary>The text printed by <c>bkcs help config</c>: every parameter grouped by section, sorted by name.</summary>
    public string FormatHelp() => ConfigHelpFormatter.Format(All);

    // Bad definitions are programming errors in a module, so they fail loudly at registration
    // rather than as a confusing ConfigException for the user later.
    private static void CheckDefinition(ConfigParameter parameter)
    {
        foreach (var name in parameter.Aliases.Prepend(parameter.Name))
        {
            if (string.IsNullOrEmpty(name) || name[0] == '-' || name.Any(c => c is '=' or ':' || char.IsWhiteSpace(c)))
            {
                throw new ArgumentException($"invalid parameter name \"{name}\"", nameof(parameter));
            }
        }

        if (parameter.Min > parameter.Max)
        {
            throw new ArgumentException($"parameter {parameter.Name}: Min is greater than Max", nameof(parameter));
        }
    }
}
