using Backend.Configuration;

namespace Backend.Tests.Configuration;

/// <summary>A throw-away backend home with an etc/ directory; removed on dispose.</summary>
internal sealed class TempHome : IDisposable
{
    public TempHome()
    {
        Root = Directory.CreateTempSubdirectory("bkcs-config-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
    }

    public string Root { get; }

    public string ConfigPath => Path.Combine(Root, "etc", "config");

    public string LocalPath => ConfigPath + ".local";

    public void WriteConfig(params string[] lines) => File.WriteAllLines(ConfigPath, lines);

    public void WriteLocal(params string[] lines) => File.WriteAllLines(LocalPath, lines);

    public string WriteFile(string relative, params string[] lines)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Loads with this home (through BKCS_HOME) and an explicit environment, never the real one.</summary>
    public BackendConfig Load(string[] args, Dictionary<string, string>? environment = null, ConfigRegistry? registry = null)
    {
        var env = new Dictionary<string, string>(environment ?? []) { ["BKCS_HOME"] = Root };
        return BackendConfig.Load(args, registry ?? ConfigRegistry.CreateDefault(), env);
    }

    public BackendConfig Load(params string[] args) => Load(args, null);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
