using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Backend.Cli;

/// <summary><c>bkcs init-app NAME [-dir DIR] [-backend-path DIR] [-template-hive DIR]</c>: the reference's
/// <c>bkjs init-app</c> as a <c>dotnet new</c> template (templates/backend-app, short name <c>backendcs-app</c>). It
/// installs the template from the Backend.cs source tree (so <c>dotnet new backendcs-app</c> works afterwards too) and
/// creates the app, which references that tree's src/Backend: Backend.cs has no package feed, and a project reference
/// builds offline from the same sources bkcs was built from. Exit codes: 0 created, 2 usage (bad name, non-empty
/// directory, no source tree), 1 <c>dotnet new</c> failed.</summary>
internal static partial class InitAppCommand
{
    internal const string Usage = "usage: bkcs init-app NAME [-dir DIR] [-backend-path DIR]";

    /// <summary>The template's folder in the source tree; also how the tree is recognised.</summary>
    private static readonly string TemplateFolder = Path.Combine("templates", "backend-app");

    // A C# project name that is also a namespace: the template uses NAME for both, and a name with a path separator,
    // a space or a leading digit would make a project that does not build or lands somewhere else.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")]
    private static partial Regex ValidName();

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? name = null, dir = null, backendPath = null, hive = null;
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-dir" or "-backend-path" or "-template-hive")
            {
                if (i + 1 >= args.Length) return await UsageAsync(stderr, $"{arg} needs a directory");
                var value = args[++i];
                switch (arg)
                {
                    case "-dir": dir = value; break;
                    case "-backend-path": backendPath = value; break;
                    default: hive = value; break;
                }
            }
            else if (arg.StartsWith('-'))
            {
                return await UsageAsync(stderr, $"unknown parameter {arg}");
            }
            else if (name is null)
            {
                name = arg;
            }
            else
            {
                return await UsageAsync(stderr, $"one app name only, got '{name}' and '{arg}'");
            }
        }
        if (name is null) return await UsageAsync(stderr, "the app name is required");
        if (!ValidName().IsMatch(name))
            return await UsageAsync(stderr, $"'{name}' is not a valid app name: letters, digits and '_', starting with a letter, parts separated by '.' (e.g. MyApp, Acme.Photos)");

        dir = Path.GetFullPath(dir ?? name);
        // dotnet new would add files next to existing ones (or refuse half-way); an app starts in a folder of its own.
        if (File.Exists(dir) || (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any()))
            return await UsageAsync(stderr, $"{dir} exists and is not empty; pick another -dir");

        backendPath = backendPath is null ? FindSourceTree(AppContext.BaseDirectory) : Path.GetFullPath(backendPath);
        if (backendPath is null || !Directory.Exists(Path.Combine(backendPath, TemplateFolder, ".template.config")))
        {
            return await UsageAsync(stderr, backendPath is null
                ? "cannot find the Backend.cs source tree above bkcs; give it with -backend-path DIR (the folder with Backend.sln)"
                : $"{backendPath} is not a Backend.cs source tree (no {TemplateFolder}); -backend-path is the folder with Backend.sln");
        }

        // --force: a folder install is re-read each time, so a changed checkout's template is the one used.
        var install = await DotnetAsync(["new", "install", Path.Combine(backendPath, TemplateFolder), "--force", .. HiveArgs(hive)]);
        if (install.ExitCode != 0)
        {
            await stderr.WriteLineAsync($"bkcs init-app: dotnet new install failed ({install.ExitCode}):\n{install.Output}");
            return 1;
        }
        var create = await DotnetAsync(["new", "backendcs-app", "-n", name, "-o", dir, "--backend-path", backendPath, .. HiveArgs(hive)]);
        if (create.ExitCode != 0)
        {
            await stderr.WriteLineAsync($"bkcs init-app: dotnet new backendcs-app failed ({create.ExitCode}):\n{create.Output}");
            return 1;
        }

        await stdout.WriteLineAsync($"""
            Created {name} in {dir} (template backendcs-app; Backend.cs from {backendPath}).
            Next steps:
              cd {dir}
              dotnet run --project src/{name} -- -home . -watch
                  serves http://localhost:8000/test/add?id=1&name=first and /test/1; restarts when a source changes
              dotnet test
                  starts the app and calls its endpoints
            See README.md there and docs/first-app.md in Backend.cs.
            """);
        return 0;
    }

    /// <summary>The source tree bkcs was built from: bkcs runs from src/Backend.Cli/bin/CONFIGURATION/TFM/ (or a
    /// tests' output folder) inside it.</summary>
    private static string? FindSourceTree(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")) && Directory.Exists(Path.Combine(dir.FullName, TemplateFolder)))
                return dir.FullName;
        }
        return null;
    }

    // -template-hive: a template store of its own instead of the user's (dotnet new's --debug:custom-hive), so a test
    // or a CI job installs nothing into the developer's ~/.templateengine.
    private static string[] HiveArgs(string? hive) => hive is null ? [] : ["--debug:custom-hive", Path.GetFullPath(hive)];

    private static async Task<int> UsageAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"bkcs init-app: {message}\n{Usage}");
        return 2;
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(IEnumerable<string> args)
    {
        // The dotnet that runs the SDK commands: the host the SDK names while it runs us (tests, dotnet run), else PATH.
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(psi) ?? throw new IOException("cannot start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = new StringBuilder().Append(await stdout).Append(await stderr).ToString().Trim();
        return (process.ExitCode, output);
    }
}
