using System.Diagnostics;

namespace Backend.Runtime;

/// <summary>Starts this same program again (the app's own executable, so its jobs and endpoints are there) with the
/// arguments it was started with, as another <see cref="ProcessRole"/>.</summary>
internal static class SelfCommand
{
    /// <summary>The arguments this process was started with (without the program).</summary>
    public static IReadOnlyList<string> OriginalArguments { get; } = Environment.GetCommandLineArgs().Skip(1).ToArray();

    /// <summary>A start description for this program with <paramref name="arguments"/>: the apphost itself, or
    /// <c>dotnet APP.dll</c> when it runs under the dotnet host. Standard streams are inherited, the working directory is
    /// this one, and the runtime's own variables are cleared before <paramref name="environment"/> is applied.</summary>
    public static ProcessStartInfo Create(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is not known");
        var psi = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        if (IsDotnetHost(host))
        {
            // dotnet APP.dll: GetCommandLineArgs()[0] is the app's dll.
            psi.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var name in ChildVariables.All) psi.Environment.Remove(name);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        return psi;
    }

    private static bool IsDotnetHost(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return string.Equals(name, "dotnet", StringComparison.OrdinalIgnoreCase);
    }
}
