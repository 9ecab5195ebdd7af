namespace Backend.Configuration;

/// <summary>
/// A documented configuration parameter. <paramref name="Name"/> is written without the leading dash
/// (<c>port</c>); <paramref name="Default"/> is the raw text used when no source gives a value.
/// </summary>
/// <param name="Name">Parameter name without the leading '-', e.g. <c>port</c>.</param>
/// <param name="Type">How values are validated and read.</param>
/// <param name="Default">Raw default value, or null for none.</param>
/// <param name="Description">One line of user documentation, printed by <c>bkcs help config</c>.</param>
/// <param name="Section">Help section, usually the module that owns the parameter.</param>
public sealed record ConfigParameter(string Name, ConfigType Type, string? Default, string Description, string Section = "core")
{
    /// <summary>Smallest accepted value of an Int or Number parameter (inclusive).</summary>
    public long? Min { get; init; }

    /// <summary>Largest accepted value of an Int or Number parameter (inclusive).</summary>
    public long? Max { get; init; }

    /// <summary>For a List parameter: the type every item must satisfy (e.g. Regex); null means any text.</summary>
    public ConfigType? ItemType { get; init; }

    /// <summary>When set, the only accepted values of a String parameter (compared ignoring case).</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>Other names of the parameter, accepted everywhere the name is (command line, config files, environment,
    /// reads by name) and documented beside it: the project's own earlier names where the reference's name is the
    /// parameter's name, e.g. <c>api-port</c> for <c>port</c>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The parameter may also come from a DNS TXT record <c>NAME.DOMAIN</c> when <c>-config-domain</c> (or
    /// <c>-domain</c>) is set and neither the command line nor the environment gives it (the reference's <c>dns</c>
    /// mark).</summary>
    public bool Dns { get; init; }
}
