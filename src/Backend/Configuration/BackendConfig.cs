namespace Backend.Configuration;

/// <summary>
/// The effective configuration of a backend process.
/// <para>
/// Sources, highest precedence first: <see cref="Set"/> by the application; the command line
/// (<c>-name value</c>, a bare <c>-flag</c> for a Bool, <c>-name=value</c>); environment variables
/// (<c>BKCS_</c> + name in upper case with '-' as '_': <c>BKCS_PORT=9000</c> is <c>-port 9000</c>);
/// DNS TXT records of the parameters marked <see cref="ConfigParameter.Dns"/> (with <c>-config-domain</c>, read at
/// build time, see <see cref="LoadFromDns"/>); the config file's <c>.local</c> companion (<c>etc/config.local</c>);
/// the config file (<c>etc/config</c> in the home, or <c>-conf-file FILE</c>); the registry default. <c>-home</c> and <c>-conf-file</c> are only taken
/// from the command line and the environment, since the files live in the home.
/// </para>
/// <para>
/// A command-line token that starts with '-' is a parameter name, except a negative number (<c>-port -1</c>);
/// text that starts with '-' is given as <c>-name=-text</c>. List values are comma-separated (double quotes
/// protect commas) and accumulate across sources in precedence order, config file first; an empty value clears
/// what came before it.
/// </para>
/// </summary>
public sealed partial class BackendConfig
{
    private const string ProgramOrigin = "set by the application";

    private readonly List<ConfigEntry> _ordered;

    // Entries by parameter name (an alias given by a source counts as its parameter's name), regrouped by Validate
    // since modules may register parameters and aliases after loading.
    private Dictionary<string, List<ConfigEntry>> _entries;
    private readonly Dictionary<string, ConfigEntry> _overrides = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _loadWarnings;
    private readonly Lock _lock = new();
    private IReadOnlyList<string> _warnings = [];

    private BackendConfig(ConfigRegistry registry, string home, string configFile, CommandLine commandLine, List<ConfigEntry> entries, List<string> loadWarnings)
    {
        Registry = registry;
        Home = home;
        ConfigFile = configFile;
        Command = commandLine.Command;
        Arguments = commandLine.Arguments;
        _loadWarnings = loadWarnings;
        _ordered = entries;
        _entries = Group(entries, registry);
    }

    /// <summary>Raised after <see cref="Set"/> and <see cref="Validate"/> so IConfiguration views can reload.</summary>
    internal event Action? Changed;

    /// <summary>The absolute backend home (~ expanded): <c>-home</c>, else <c>BKCS_HOME</c>, else <c>~/.backend</c>.</summary>
    public string Home { get; }

    /// <summary>The absolute config file that was read (it may not exist); its <c>.local</c> companion is read after it.</summary>
    public string ConfigFile { get; }

    /// <summary>The first command-line token before any parameter, e.g. <c>run-backend</c>; null if none.</summary>
    public string? Command { get; }

    /// <summary>Positional tokens after the command (before the first parameter, or after <c>--</c>).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Non-fatal problems, such as unknown parameters (whose values are kept for apps to read).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The parameters this configuration validates against.</summary>
    public ConfigRegistry Registry { get; }

    /// <summary>
    /// Parses <paramref name="args"/>, reads the environment (<c>BKCS_*</c>; the process environment when
    /// <paramref name="environment"/> is null) and the config files of the home, then validates every value of a
    /// registered parameter.
    /// </summary>
    /// <exception cref="ConfigException">A malformed value, a missing value, or a malformed config file line.</exception>
    public static BackendConfig Load(IReadOnlyList<string> args, ConfigRegistry registry, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(registry);
        var commandLine = CommandLineParser.Parse(args, registry);
        var environmentEntries = EnvironmentReader.Read(environment ?? EnvironmentReader.Current(), registry);
        List<ConfigEntry> early = [.. environmentEntries, .. commandLine.Entries];
        var home = ConfigPaths.ResolveHome(LastValue(early, ConfigRegistry.HomeParameter, registry));
        var configFileValue = LastValue(early, ConfigRegistry.ConfigFileParameter, registry);
        var configFile = ConfigPaths.ResolveConfigFile(home, configFileValue);
        if (!string.IsNullOrWhiteSpace(configFileValue) && !File.Exists(configFile))
        {
            throw new ConfigException($"config file not found: {configFile}");
        }

        var warnings = new List<string>();
        List<ConfigEntry> entries =
        [
            .. ReadFile(configFile, ConfigSource.ConfigFile, warnings, registry),
            .. ReadFile(configFile + ".local", ConfigSource.LocalConfigFile, warnings, registry),
            .. environmentEntries,
            .. commandLine.Entries,
        ];
        var config = new BackendConfig(registry, home, configFile, commandLine, entries, warnings);
        config.Validate();
        return config;
    }

    /// <summary>
    /// Checks every given value (and default) of a registered parameter and refreshes <see cref="Warnings"/>;
    /// call it again after modules registered more parameters.
    /// </summary>
    /// <exception cref="ConfigException">The first invalid value, as one line.</exception>
    public void Validate()
    {
        foreach (var parameter in Registry.All)
        {
            if (parameter.Default is { } value && ConfigValidator.Check(parameter, value) is { } problem)
            {
                throw new ConfigException($"invalid default for -{parameter.Name}: {problem}");
            }
        }

        lock (_lock)
        {
            _entries = Group(_ordered, Registry);
        }

        var warnings = new List<string>(_loadWarnings);
        foreach (var entry in AllEntries())
        {
            if (!Registry.TryGet(entry.Name, out var parameter))
            {
                warnings.Add($"unknown parameter -{entry.Name}{entry.Where}");
            }
            else if (ConfigValidator.Check(parameter, entry.Value) is { } problem)
            {
                throw new ConfigException(entry.Invalid(problem));
            }
        }

        _warnings = [.. warnings.Distinct()];
        Changed?.Invoke();
    }

    /// <summary>Overrides a value at the highest precedence; for a List it replaces the accumulated items.</summary>
    /// <exception cref="ConfigException">The value is invalid for the registered parameter.</exception>
    public void Set(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        var known = Registry.TryGet(name, out var parameter);
        var entry = new ConfigEntry(name, value, ConfigSource.Program, ProgramOrigin);
        if (known && ConfigValidator.Check(parameter!, value) is { } problem)
        {
            throw new ConfigException(entry.Invalid(problem));
        }

        lock (_lock)
        {
            _overrides[Registry.Canonical(entry.Name)] = entry;
        }

        Changed?.Invoke();
    }

    /// <summary>The parameters as an <see cref="Microsoft.Extensions.Configuration.IConfiguration"/> of their own
    /// (keys are parameter names and aliases), which typed options bind from; reloads after <see cref="Set"/>.</summary>
    public Microsoft.Extensions.Configuration.IConfiguration Configuration =>
        _configuration ??= new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddBackendConfig(this).Build();

    private Microsoft.Extensions.Configuration.IConfiguration? _configuration;

    /// <summary>The name the effective value of a parameter was given under (an alias such as <c>api-port</c> when
    /// that is what the user wrote), for messages; the parameter's name when it has no value.</summary>
    internal string GivenName(string name) => Effective(name)?.Name ?? Registry.Canonical(name);

    /// <summary><see cref="Home"/> combined with <paramref name="parts"/>, e.g. <c>HomePath("var", "backend.db")</c>.</summary>
    public string HomePath(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return Path.Combine([Home, .. parts]);
    }

    private static Dictionary<string, List<ConfigEntry>> Group(List<ConfigEntry> entries, ConfigRegistry registry) =>
        entries.GroupBy(e => registry.Canonical(e.Name), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);

    private static string? LastValue(List<ConfigEntry> entries, string name, ConfigRegistry registry) =>
        entries.LastOrDefault(e => string.Equals(registry.Canonical(e.Name), name, StringComparison.OrdinalIgnoreCase))?.Value;

    private static IEnumerable<ConfigEntry> ReadFile(string path, ConfigSource source, List<string> warnings, ConfigRegistry registry)
    {
        foreach (var entry in ConfigFileReader.Read(path, source))
        {
            var name = registry.Canonical(entry.Name);
            if (string.Equals(name, ConfigRegistry.HomeParameter, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, ConfigRegistry.ConfigFileParameter, StringComparison.OrdinalIgnoreCase))
            {
                // The files are found through these two, so a file cannot move them.
                warnings.Add($"-{entry.Name} is ignored in config files, give it on the command line{entry.Where}");
                continue;
            }

            yield return entry;
        }
    }
}
