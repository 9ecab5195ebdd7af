using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Backend.Runtime;

/// <summary>The app's project, when the app runs from its build output (<c>PROJECT_DIR/bin/CONFIGURATION/TFM/</c>):
/// found by walking up from the program's directory to a <c>.csproj</c> whose assembly is the program's own (so the
/// test project that happens to hold a copy of <c>bkcs.dll</c> is not taken for it).</summary>
internal sealed partial record WatchProject(string ProjectFile, string Configuration)
{
    /// <summary>The project's directory (the default -watch-dir).</summary>
    public string Directory => Path.GetDirectoryName(ProjectFile)!;

    /// <summary>The project building <paramref name="assemblyName"/> whose <c>bin/</c> holds
    /// <paramref name="baseDirectory"/>; null when the program does not run from a project's output (an installed tool,
    /// a published app copied elsewhere).</summary>
    public static WatchProject? Find(string baseDirectory, string? assemblyName)
    {
        if (string.IsNullOrEmpty(assemblyName)) return null;
        var start = Path.TrimEndingDirectorySeparator(Path.GetFullPath(baseDirectory));
        var dir = new DirectoryInfo(start);
        for (var depth = 0; dir is not null && depth < 6; depth++, dir = dir.Parent)
        {
            var segments = Path.GetRelativePath(dir.FullName, start).Split(Path.DirectorySeparatorChar);
            // bin/Release/net10.0[/publish]: the configuration is the segment after bin.
            if (segments.Length < 2 || segments[0] != "bin") continue;
            foreach (var file in dir.EnumerateFiles("*.csproj"))
            {
                if (string.Equals(AssemblyNameOf(file.FullName), assemblyName, StringComparison.OrdinalIgnoreCase))
                    return new WatchProject(file.FullName, segments[1]);
            }
        }
        return null;
    }

    private static string AssemblyNameOf(string projectFile)
    {
        try
        {
            var match = AssemblyNameRegex().Match(File.ReadAllText(projectFile));
            if (match.Success) return match.Groups[1].Value;
        }
        catch (IOException)
        {
            // unreadable: its file name then
        }
        return Path.GetFileNameWithoutExtension(projectFile);
    }

    [GeneratedRegex(@"<AssemblyName>\s*([^<$]+?)\s*</AssemblyName>")]
    private static partial Regex AssemblyNameRegex();
}

/// <summary>The outcome of one build: success, or the compiler's error lines (each once).</summary>
internal sealed record WatchBuildResult(bool Succeeded, IReadOnlyList<string> Errors);

/// <summary><c>dotnet build</c> of the app's project into a fresh directory.</summary>
/// <remarks>Why a fresh directory (<c>HOME/tmp/watch/N</c>) and not the project's own <c>bin/</c>: the running server
/// executes from its output directory, and MSBuild rewrites those files in place (truncate and write); the runtime
/// maps assemblies from them, so a build over a live server can crash it or leave it running half old, half new code
/// — and a build that fails halfway would leave no good server to fall back on. With <c>-o</c> the running server's
/// files are never touched, a failed build leaves nothing behind, and the new server starts from the new directory
/// only once it is complete. The intermediate <c>obj/</c> is shared, so the build stays incremental (a referenced
/// project that did not change is not compiled again); the cost is a copy of the dependencies per build, and the
/// directory of the server that was replaced is deleted.</remarks>
internal static class WatchBuild
{
    public static async Task<WatchBuildResult> RunAsync(WatchProject project, string output, bool restore, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = project.Directory,
        };
        foreach (var a in (string[])["build", project.ProjectFile, "-c", project.Configuration, "-o", output, "--nologo", "-v", "q",
                     "-nodeReuse:false", "-clp:ErrorsOnly;NoSummary"])
            psi.ArgumentList.Add(a);
        if (!restore) psi.ArgumentList.Add("--no-restore");
        foreach (var name in ChildVariables.All) psi.Environment.Remove(name);
        using var process = Process.Start(psi) ?? throw new IOException("could not start dotnet build");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }
        var text = (await stdout) + "\n" + (await stderr);
        return process.ExitCode == 0 ? new WatchBuildResult(true, []) : new WatchBuildResult(false, Errors(text));
    }

    /// <summary>The <c>error</c> lines of MSBuild's output, each once (MSBuild repeats them per project that fails); the
    /// last lines of the output when there is none (a crash of the tool itself).</summary>
    internal static IReadOnlyList<string> Errors(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.Contains(": error ", StringComparison.Ordinal) || l.StartsWith("error ", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).ToList();
        return errors.Count > 0 ? errors : lines.TakeLast(20).ToList();
    }

    // The dotnet host running this program, or the one on PATH when this is an apphost.
    private static string DotnetHost()
    {
        var host = Environment.ProcessPath;
        return host is not null && Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? host : "dotnet";
    }
}
