using System.Diagnostics;
using System.Runtime.InteropServices;
using Backend.Runtime;

namespace Backend.Cli;

/// <summary><c>bkcs run-backend</c> inside an app folder (one made by <c>bkcs init-app</c>, or any folder with one
/// project under <c>src/</c> that references Backend.cs): builds the app and runs it, not bkcs's own server, with the
/// development flags and <c>-home</c> the folder. The app's own <c>-watch</c> then rebuilds and restarts it when a
/// source file changes and keeps the running server when a build fails (Runtime/Watcher). bkcs stays in front: it
/// passes SIGINT, SIGTERM and SIGHUP on to the app and exits with its code, so scripts and terminals see one
/// program.</summary>
internal static class AppRunner
{
    /// <summary>The app project of <paramref name="folder"/>: the one <c>src/*/*.csproj</c> that references
    /// <c>src/Backend/Backend.csproj</c> (init-app's apps do, through <c>$(BackendPath)</c>); null when there is none or
    /// more than one (then bkcs runs its own server, as anywhere else).</summary>
    public static string? FindProject(string folder)
    {
        var src = Path.Combine(folder, "src");
        if (!Directory.Exists(src)) return null;
        var projects = Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Where(p => Path.GetRelativePath(src, p).Count(c => c == Path.DirectorySeparatorChar) == 1)
            .Where(p => File.ReadAllText(p).Contains("src/Backend/Backend.csproj", StringComparison.Ordinal))
            .Take(2).ToList();
        return projects.Count == 1 ? projects[0] : null;
    }

    /// <summary>Builds <paramref name="project"/> (Debug: the watcher's rebuilds are Debug too) and runs its output
    /// with <paramref name="args"/>; returns the app's exit code, or 1 when the first build fails (its errors shown).</summary>
    public static async Task<int> RunAsync(string folder, string project, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        await stdout.WriteLineAsync($"bkcs: building the app {Path.GetRelativePath(folder, project)}");
        var (code, output) = await DotnetAsync(folder, ["build", project, "-c", "Debug", "-nologo", "-v", "q", "-clp:NoSummary"]);
        if (code != 0)
        {
            await stderr.WriteLineAsync(output.TrimEnd());
            await stderr.WriteLineAsync($"bkcs: the app did not build (dotnet build exited {code})");
            return 1;
        }
        (code, output) = await DotnetAsync(folder, ["msbuild", project, "-getProperty:TargetPath", "-p:Configuration=Debug", "-nologo"]);
        var dll = output.Trim();
        if (code != 0 || !File.Exists(dll))
        {
            await stderr.WriteLineAsync($"bkcs: cannot find the app's build output: {output.Trim()}");
            return 1;
        }
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = folder };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var app = Process.Start(psi) ?? throw new IOException("could not start dotnet " + dll);
        // The app shares our terminal (inherited output); a signal to bkcs reaches it too.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, app, Posix.SIGTERM));
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Forward(c, app, Posix.SIGINT));
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Forward(c, app, Posix.SIGHUP));
        await app.WaitForExitAsync();
        return app.ExitCode;
    }

    private static void Forward(PosixSignalContext context, Process app, int signal)
    {
        // bkcs stays until the app is gone: the app decides how to stop (its workers drain).
        context.Cancel = true;
        try
        {
            if (!app.HasExited) Posix.Kill(app.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    private static async Task<(int Code, string Output)> DotnetAsync(string folder, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi) ?? throw new IOException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
