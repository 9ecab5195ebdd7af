using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backend.Tests.Server;

namespace Backend.Tests.Hosting;

/// <summary><c>bkcs init-app</c>: an app created from templates/backend-app builds against this source tree, passes its
/// own tests, and serves /test/add and /test/ID as a process of its own. Slow (a restore and build of a new project):
/// one end-to-end test. Offline: the app's packages are those this repository builds with, so under CI they come from
/// the local NuGet cache the repository's own restore filled.</summary>
public sealed class InitAppTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bkcs-initapp-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The template store of this test (dotnet new --debug:custom-hive): nothing is installed for the developer.
    private string Hive => Path.Combine(_root, "hive");

    public void Dispose() => BackendServer.DeleteHome(_root);

    [Fact]
    public async Task A_bad_name_or_a_non_empty_directory_is_a_usage_error()
    {
        var (code, _, stderr) = await BackendServer.RunCommandAsync(["init-app", "1app", "-dir", Path.Combine(_root, "a"), "-template-hive", Hive]);
        Assert.Equal(2, code);
        Assert.Contains("not a valid app name", stderr, StringComparison.Ordinal);
        Assert.Contains("usage: bkcs init-app", stderr, StringComparison.Ordinal);

        var taken = Path.Combine(_root, "taken");
        Directory.CreateDirectory(taken);
        await File.WriteAllTextAsync(Path.Combine(taken, "notes.txt"), "mine", Ct);
        (code, _, stderr) = await BackendServer.RunCommandAsync(["init-app", "MyApp", "-dir", taken, "-template-hive", Hive]);
        Assert.Equal(2, code);
        Assert.Contains("is not empty", stderr, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(taken).Select(Path.GetFileName));

        (code, _, stderr) = await BackendServer.RunCommandAsync(["init-app"]);
        Assert.Equal(2, code);
        Assert.Contains("the app name is required", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_created_app_builds_passes_its_tests_and_serves_its_endpoints()
    {
        var dir = Path.Combine(_root, "app");
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["init-app", "InitApp1", "-dir", dir, "-template-hive", Hive], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"init-app exited {code}:\n{stdout}\n{stderr}");
        Assert.Contains("dotnet run --project src/InitApp1 -- -home . -watch", stdout, StringComparison.Ordinal);
        foreach (var file in new[] { "README.md", "etc/config", "InitApp1.slnx", "src/InitApp1/Program.cs", "tests/InitApp1.Tests/AppTests.cs" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} was not created");
        // The app references this source tree, found above bkcs.dll.
        var root = InitAppCommandRoot();
        Assert.Contains($"<BackendPath>{root}</BackendPath>", await File.ReadAllTextAsync(Path.Combine(dir, "Directory.Build.props"), Ct), StringComparison.Ordinal);
        var created = clock.Elapsed;

        // Release, as this test run: the core's output is then up to date and not compiled again.
        var build = await DotnetAsync(dir, TimeSpan.FromMinutes(8), "build", "-c", "Release", "--disable-build-servers");
        Assert.True(build.ExitCode == 0, $"dotnet build of the created app failed:\n{build.Output}");
        var built = clock.Elapsed;

        var test = await DotnetAsync(dir, TimeSpan.FromMinutes(3), "test", "-c", "Release", "--no-build");
        Assert.True(test.ExitCode == 0, $"the created app's tests failed:\n{test.Output}");
        Assert.Matches(new Regex(@"Failed:\s+0, Passed:\s+3\b"), test.Output);
        var tested = clock.Elapsed;

        // The app as a process, started as its README says (dotnet run ... -- -home .; the build above, not another),
        // from the app folder: its etc/config opens /test/ to unsigned requests, and var/ must land in the app folder,
        // not in src/InitApp1 where dotnet run would otherwise start it.
        var port = BackendServer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in new[] { "run", "--no-build", "-c", "Release", "--project", "src/InitApp1", "--", "-home", ".", "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-api-bind", "127.0.0.1" })
            psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        using var app = Process.Start(psi)!;
        var output = new StringBuilder();
        app.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        app.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var added = await UntilListeningAsync(http, app, "/test/add?id=7&name=seven", output);
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            added.Dispose();

            using var got = await http.GetAsync(new Uri("/test/7", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            using var row = JsonDocument.Parse(await got.Content.ReadAsStringAsync(Ct));
            Assert.Equal(7, row.RootElement.GetProperty("id").GetInt32());
            Assert.Equal("seven", row.RootElement.GetProperty("name").GetString());

            using var missing = await http.GetAsync(new Uri("/test/8", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            // Only /test/ is open: the account API of the same server still wants a signature.
            using var unsigned = await http.GetAsync(new Uri("/account/get", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, unsigned.StatusCode);
            // The table is in the app's home, as etc/config and README say (var/ of the app folder).
            Assert.True(File.Exists(Path.Combine(dir, "var", "backend.db")), "no var/backend.db in the app folder");
            Assert.False(Directory.Exists(Path.Combine(dir, "src", "InitApp1", "var")), "the app ran with src/InitApp1 as its home");
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync(CancellationToken.None);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"init-app {created.TotalSeconds:F1} s, build {(built - created).TotalSeconds:F1} s, test {(tested - built).TotalSeconds:F1} s, served {(clock.Elapsed - tested).TotalSeconds:F1} s");
    }

    /// <summary>The repository root: the folder with Backend.sln above the test output folder (where bkcs.dll is).</summary>
    private static string InitAppCommandRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        throw new InvalidOperationException("no Backend.sln above " + AppContext.BaseDirectory);
    }

    private static async Task<HttpResponseMessage> UntilListeningAsync(HttpClient http, Process app, string path, StringBuilder output)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (app.HasExited)
            {
                await Task.Delay(100, Ct);
                lock (output) Assert.Fail($"the app exited with {app.ExitCode}:\n{output}");
            }
            try
            {
                return await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Ct);
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string dir, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host runs under `dotnet test`, whose MSBuild and VSTest variables would point the nested build at this
        // repository's SDK state; the created app builds as a developer's shell would build it.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"dotnet {string.Join(' ', args)} did not finish in {timeout.TotalMinutes} min:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
