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
    private readonly Lock _lock = new();

    /// <summary>Registers a parameter; re-adding the same name replaces the earlier definition.</summary>
    /// <exception cref="ArgumentException">The name is empty, starts with '-', or contains '=', ':' or whitespace; or Min &gt; Max.</exception>
    public void Add(ConfigParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckDefinition(parameter);
        lock (_lock)
        {
            _parameters[parameter.Name] = parameter;
        }
    }

    /// <summary>Looks up a parameter by name (without the leading '-').</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out ConfigParameter? parameter)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            return _parameters.TryGetValue(name, out parameter);
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
        var name = parameter.Name;
        if (string.IsNullOrEmpty(name) || name[0] == '-' || name.Any(c => c is '=' or ':' || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException($"invalid parameter name \"{name}\"", nameof(parameter));
        }

        if (parameter.Min > parameter.Max)
        {
            throw new ArgumentException($"parameter {name}: Min is greater than Max", nameof(parameter));
        }
    }
}
