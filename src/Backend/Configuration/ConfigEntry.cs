namespace Backend.Configuration;

/// <summary>Where a value came from, lowest precedence first.</summary>
internal enum ConfigSource
{
    ConfigFile,
    LocalConfigFile,
    Dns,
    Environment,
    CommandLine,
    Program,
}

/// <summary>
/// One <c>name value</c> pair as given by a source. <paramref name="Origin"/> says where, for messages
/// (<c>/home/u/.backend/etc/config line 3</c>); null for the command line, whose errors need no locator.
/// </summary>
internal sealed record ConfigEntry(string Name, string Value, ConfigSource Source, string? Origin)
{
    /// <summary>The one-line error for a bad value of this entry.</summary>
    public string Invalid(string problem) => $"invalid value for -{Name}: {problem}{Where}";

    /// <summary>" (origin)" or nothing.</summary>
    public string Where => Origin is null ? string.Empty : $" ({Origin})";
}
