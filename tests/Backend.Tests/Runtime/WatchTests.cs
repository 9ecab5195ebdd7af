using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Backend.Runtime;
using Backend.Tests.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Runtime;

/// <summary><c>-watch</c> against real processes: a config change restarts <c>bkcs run</c>; an app project is rebuilt
/// on a source change, a build error keeps the old server; the watcher killed with -9 or stopped with SIGTERM leaves
/// no server behind. Every wait is on an event (a reply, a line of output, a process exit) with a deadline.</summary>
public sealed class WatchTests
{
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Config_change_restarts_the_server_and_a_killed_watcher_leaves_no_server()
    {
        Assert.SkipUnless(Posix.Supported, "the process runtime runs on Linux");
        await using var server = await BackendServer.StartAsync(["-watch"]);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var before = await StatusAsync(http, "/nothing");
        Assert.NotEqual(HttpStatusCode.NotFound, before); // unsigned: refused before routing

        await File.WriteAllTextAsync(Path.Combine(server.Home, "etc", "config"), "api-allow-path=^/nothing$\n", TestContext.Current.CancellationToken);
        await WaitForAsync(async () => await StatusAsync(http, "/nothing") == HttpStatusCode.NotFound, TimeSpan.FromSeconds(60), () => server.Output);
        Assert.Contains("etc/config changed: restarted the server", server.Output, StringComparison.Ordinal);
        Assert.Equal(server.ProcessId, PidFile.Read(Path.Combine(server.Home, "var", "bkcs.pid")));

        // kill -9 of the watcher: the server sees its control connection drop and stops, freeing the port.
        using (var watcher = Process.GetProcessById(server.ProcessId)) watcher.Kill();
        await WaitForAsync(() => Task.FromResult(!Listening(server.Port)), TimeSpan.FromSeconds(30), () => server.Output);
        Assert.Contains("the watcher is gone", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_project_is_rebuilt_on_a_source_change_and_a_build_error_keeps_the_old_server()
    {
        Assert.SkipUnless(Posix.Supported, "the process runtime runs on Linux");
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("bkcs-watch-app-").FullName;
        var home = BackendServer.CreateHome();
        try
        {
            var program = Path.Combine(dir, "Program.cs");
            await File.WriteAllTextAsync(Path.Combine(dir, "App.csproj"), ProjectFile(), ct);
            await File.WriteAllTextAsync(program, ProgramText("v1"), ct);
            var build = await RunAsync("dotnet", ["build", dir, "-c", "Release", "--nologo", "-v", "q", "-nodeReuse:false"], dir, BuildDeadline);
            Assert.True(build.Code == 0, "the test app did not build:\n" + build.Output);

            var port = BackendServer.FreePort();
            await using var app = WatchedProcess.Start(Path.Combine(dir, "bin", "Release", "net10.0", "App.dll"),
                ["-watch", "-home", home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-api-bind", "127.0.0.1", "-api-allow-path", "^/hello$"]);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForAsync(async () => await TextAsync(http, "/hello") == "v1", TimeSpan.FromSeconds(60), () => app.Output);

            // A source change: rebuilt into a fresh directory, then the new server replaces the old one.
            await File.WriteAllTextAsync(program, ProgramText("v2"), ct);
            await WaitForAsync(async () => await TextAsync(http, "/hello") == "v2", BuildDeadline, () => app.Output);
            Assert.Contains("Program.cs changed: restarted the server", app.Output, StringComparison.Ordinal);

            // A build error: printed, and the running server keeps answering.
            await File.WriteAllTextAsync(program, ProgramText("v3").Replace("\"v3\");", "\"v3\")", StringComparison.Ordinal), ct);
            await WaitForAsync(() => Task.FromResult(app.Output.Contains("waiting for the next change", StringComparison.Ordinal)), BuildDeadline, () => app.Output);
            Assert.Matches(@"build failed: .*App\.csproj; the running server \(pid \d+\) keeps serving", app.Output);
            Assert.Contains("Program.cs(4,", app.Output, StringComparison.Ordinal);
            Assert.Contains("error CS1002", app.Output, StringComparison.Ordinal);
            Assert.Equal("v2", await TextAsync(http, "/hello"));

            // Fixed: the next build goes through.
            await File.WriteAllTextAsync(program, ProgramText("v3"), ct);
            await WaitForAsync(async () => await TextAsync(http, "/hello") == "v3", BuildDeadline, () => app.Output);

            // SIGTERM to the watcher: the server stops, then the watcher exits, and the build directories are gone.
            Assert.True(Posix.Kill(app.Pid, Posix.SIGTERM));
            await app.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, app.ExitCode);
            Assert.False(Listening(port), "the server outlived its watcher");
            Assert.False(Directory.Exists(Path.Combine(home, "tmp", "watch")));
        }
        finally
        {
            BackendServer.DeleteHome(home);
            BackendServer.DeleteHome(dir);
        }
    }

    [Fact]
    public void Project_is_found_from_its_build_output_only_when_it_builds_this_program()
    {
        var dir = Directory.CreateTempSubdirectory("bkcs-watch-find-").FullName;
        try
        {
            var output = Directory.CreateDirectory(Path.Combine(dir, "src", "App", "bin", "Debug", "net10.0")).FullName;
            File.WriteAllText(Path.Combine(dir, "src", "App", "App.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><AssemblyName>myapp</AssemblyName></PropertyGroup></Project>");
            var found = WatchProject.Find(output, "myapp");
            Assert.NotNull(found);
            Assert.Equal(Path.Combine(dir, "src", "App", "App.csproj"), found.ProjectFile);
            Assert.Equal("Debug", found.Configuration);
            Assert.Equal(Path.Combine(dir, "src", "App"), found.Directory);
            Assert.Null(WatchProject.Find(output, "bkcs")); // a copy of bkcs.dll in another project's output
            Assert.Null(WatchProject.Find(Path.Combine(dir, "src", "App"), "myapp")); // not under bin/
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Sources_exclude_build_output_tool_files_and_the_home_data()
    {
        using var files = new WatchFiles([], [], ["/h/var"], TimeSpan.FromMilliseconds(300), _ => { }, NullLogger.Instance);
        Assert.True(files.IsSource("/src/App", "/src/App/Program.cs"));
        Assert.True(files.IsSource("/home/me/bin/App", "/home/me/bin/App/Api/Album.cs")); // bin above the watched directory
        Assert.True(files.IsSource("/src/App", "/src/App/App.csproj"));
        Assert.False(files.IsSource("/src/App", "/src/App/bin/Release/net10.0/App.dll"));
        Assert.False(files.IsSource("/src/App", "/src/App/obj/project.assets.json"));
        Assert.False(files.IsSource("/src/App", "/src/App/.git/index"));
        Assert.False(files.IsSource("/src/App", "/src/App/.Program.cs.swp"));
        Assert.False(files.IsSource("/src/App", "/src/App/Program.cs~"));
        Assert.False(files.IsSource("/src/App", "/src/App/4913"));
        Assert.False(files.IsSource("/h", "/h/var/backend.db"));
    }

    [Fact]
    public void Build_errors_are_the_error_lines_once()
    {
        var output = """
            /a/Program.cs(4,33): error CS1002: ; expected [/a/App.csproj]
            /a/Program.cs(4,33): error CS1002: ; expected [/a/App.csproj]
            /a/Program.cs(2,1): warning CS0168: unused [/a/App.csproj]
            """;
        Assert.Equal(["/a/Program.cs(4,33): error CS1002: ; expected [/a/App.csproj]"], WatchBuild.Errors(output));
        Assert.Equal(["something else broke"], WatchBuild.Errors("something else broke\n"));
    }

    private static string ProjectFile()
    {
        var backend = Path.Combine(RepositoryRoot(), "src", "Backend", "Backend.csproj");
        return $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{backend}" />
              </ItemGroup>
            </Project>
            """;
    }

    private static string ProgramText(string reply) => $$"""
        using Backend.Hosting;
        var builder = BackendApplicationBuilder.CreateBuilder(args);
        var app = builder.Build();
        app.MapGet("/hello", () => "{{reply}}");
        app.Run();
        """;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var reply = await http.GetAsync(path, TestContext.Current.CancellationToken);
            return reply.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null; // restarting
        }
    }

    private static async Task<string?> TextAsync(HttpClient http, string path)
    {
        try
        {
            return await http.GetStringAsync(path, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static bool Listening(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            tcp.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> output)
    {
        var ct = TestContext.Current.CancellationToken;
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"not within {deadline.TotalSeconds} s; output:\n{output()}");
            await Task.Delay(100, ct);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary><c>dotnet APP.dll ARGS</c> with its output captured; disposing kills what is left of it.</summary>
    private sealed class WatchedProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private WatchedProcess(Process process) => _process = process;

        public int Pid => _process.Id;

        public int ExitCode => _process.ExitCode;

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        public static WatchedProcess Start(string dll, string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(key);
            var started = new WatchedProcess(Process.Start(psi)!);
            started._process.OutputDataReceived += (_, e) => started.Append(e.Data);
            started._process.ErrorDataReceived += (_, e) => started.Append(e.Data);
            started._process.BeginOutputReadLine();
            started._process.BeginErrorReadLine();
            return started;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }

        public async Task WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the watcher did not exit in {timeout.TotalSeconds} s; output:\n{Output}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
            _process.Dispose();
        }
    }
}
