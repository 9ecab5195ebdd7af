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

    /// <summary>Issue 15 point 5: <c>bkcs run-backend</c> inside the app folder builds and runs the app (not bkcs's own
    /// server) with -watch; a changed source is rebuilt and the server restarted on it; a compile error is shown and the
    /// running server keeps serving; SIGTERM to bkcs stops the app.</summary>
    [Fact]
    public async Task Run_backend_in_the_app_folder_runs_the_app_and_restarts_it_when_a_source_changes()
    {
        var dir = Path.Combine(_root, "watched");
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["init-app", "WatchApp1", "-dir", dir, "-template-hive", Hive], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"init-app exited {code}:\n{stdout}\n{stderr}");
        var port = BackendServer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        // One Web worker keeps it light; the port as etc/config would give it.
        foreach (var a in new[] { BackendServer.BkcsDll, "run-backend", "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-api-bind", "127.0.0.1", "-server-max-workers", "1" })
            psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        using var bkcs = Process.Start(psi)!;
        var output = new StringBuilder();
        bkcs.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        bkcs.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        bkcs.BeginOutputReadLine();
        bkcs.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            // The first build compiles Backend.cs in Debug too: minutes on a busy machine.
            using (var added = await UntilListeningAsync(http, bkcs, "/test/add?id=1&name=one", output, TimeSpan.FromMinutes(6)))
                Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            Assert.True(File.Exists(Path.Combine(dir, "var", "backend.db")), "the app did not run with the app folder as its home");

            // A new endpoint in Program.cs: rebuilt, restarted, served.
            var program = Path.Combine(dir, "src", "WatchApp1", "Program.cs");
            var source = await File.ReadAllTextAsync(program, Ct);
            var mapped = source.IndexOf("app.Map", StringComparison.Ordinal);
            Assert.True(mapped > 0, "no app.Map in the template's Program.cs");
            await File.WriteAllTextAsync(program, source.Insert(mapped, "app.MapGet(\"/test/hello\", () => \"hello\");\n"), Ct);
            Assert.Equal("hello", await UntilAnswersAsync(http, "/test/hello", TimeSpan.FromMinutes(3), output));

            // A compile error: shown, and the server keeps serving what it served.
            await File.WriteAllTextAsync(program, source.Insert(mapped, "app.MapGet(\"/test/hello\", () => \"hello\")\n this does not compile;\n"), Ct);
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (true)
            {
                lock (output) if (output.ToString().Contains("error CS", StringComparison.Ordinal)) break;
                Assert.True(DateTime.UtcNow < until, $"no compiler error shown:\n{output}");
                await Task.Delay(200, Ct);
            }
            Assert.Equal("hello", await http.GetStringAsync(new Uri("/test/hello", UriKind.Relative), Ct));

            // SIGTERM to bkcs stops the app behind it.
            Assert.True(Backend.Runtime.Posix.Kill(bkcs.Id, Backend.Runtime.Posix.SIGTERM));
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await bkcs.WaitForExitAsync(stopped.Token);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri("/test/hello", UriKind.Relative), Ct));
        }
        finally
        {
            if (!bkcs.HasExited) bkcs.Kill(entireProcessTree: true);
            await bkcs.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task<string> UntilAnswersAsync(HttpClient http, string path, TimeSpan timeout, StringBuilder output)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var r = await http.GetAsync(new Uri(path, UriKind.Relative), Ct);
                if (r.StatusCode == HttpStatusCode.OK) return await r.Content.ReadAsStringAsync(Ct);
            }
            catch (HttpRequestException)
            {
                // restarting
            }
            lock (output) Assert.True(DateTime.UtcNow < until, $"{path} did not answer 200 within {timeout}:\n{output}");
            await Task.Delay(250, Ct);
        }
    }

    /// <summary>The repository root: the folder with Backend.sln above the test output folder (where bkcs.dll is).</summary>
    private static string InitAppCommandRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        throw new InvalidOperationException("no Backend.sln above " + AppContext.BaseDirectory);
    }

    private static async Task<HttpResponseMessage> UntilListeningAsync(HttpClient http, Process app, string path, StringBuilder output, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
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
