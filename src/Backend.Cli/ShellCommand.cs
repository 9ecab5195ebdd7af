#nullable enable
using System.Reflection;
using System.Text;
using Backend.Configuration;
using Backend.Data;
using Backend.Hosting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Backend.Cli;

/// <summary>What a <c>bkcs shell</c> statement sees as its own names: <c>Db</c>, <c>Config</c> and <c>Services</c> of
/// the app this shell built. Public because Roslyn compiles each submission into an assembly of its own, which can only
/// reach a public globals type.</summary>
public sealed class ShellGlobals
{
    internal ShellGlobals(Db db, BackendConfig config, IServiceProvider services)
    {
        Db = db;
        Config = config;
        Services = services;
    }

    /// <summary>The database facade, its pools initialised and tables created.</summary>
    public Db Db { get; }

    /// <summary>The effective configuration.</summary>
    public BackendConfig Config { get; }

    /// <summary>The app's services (<c>Services.GetRequiredService&lt;T&gt;()</c>).</summary>
    public IServiceProvider Services { get; }
}

/// <summary><c>bkcs shell</c>: the reference's <c>bksh</c>, as a C# REPL over the app's database, configuration and
/// services, with no web server. A statement per line; a line that leaves it incomplete (an open brace, a missing
/// semicolon after <c>var x =</c>) continues on the next. Values are printed as JSON, tasks awaited first; an error is
/// one line on stderr and the REPL goes on. <c>.exit</c> or end of input ends it. Each run statement is appended to
/// <c>-repl-file</c>.</summary>
internal static class ShellCommand
{
    /// <summary>The one-shot command a bksh flag names (<c>-get</c> is <c>get</c>), or null when it is not one.</summary>
    public static string? OneShot(string flag) => flag switch
    {
        "-get" or "-put" or "-update" or "-del" or "-select" or "-add-user" or "-show-config" => flag[1..],
        _ => null,
    };

    private static readonly string[] Imports =
    [
        "System", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "System.Text.Json",
        "Backend.Data", "Backend.Configuration", "Microsoft.Extensions.DependencyInjection",
    ];

    public static async Task<int> RunAsync(string[] args, Func<string[], BackendApplicationBuilder> createBuilder, TextReader input, TextWriter stdout, TextWriter stderr)
    {
        var builder = createBuilder(DataCommands.QuietByDefault(args));
        if (builder.Config.Arguments.Count > 0)
        {
            await stderr.WriteLineAsync($"bkcs shell: unexpected '{builder.Config.Arguments[0]}'; usage: bkcs shell [-name value ...], or bkcs shell -get|-put|-update|-del|-select|-add-user|-show-config ...");
            return 2;
        }
        await using var app = builder.Build();
        await app.Db.InitAsync();
        var globals = new ShellGlobals(app.Db, app.Config, app.Services);
        var history = app.Config.GetPath("repl-file");
        if (history is not null) Directory.CreateDirectory(Path.GetDirectoryName(history)!);
        var interactive = ReferenceEquals(input, Console.In) && !Console.IsInputRedirected;
        if (interactive) await stdout.WriteLineAsync("bkcs shell: Db, Config and Services are in scope; .exit or Ctrl-D ends it");

        await ReplAsync(input, stdout, stderr, globals, history, interactive, CancellationToken.None);
        return 0;
    }

    /// <summary>The read-run-print loop, over the console or (-repl-port) a connection: until <c>.exit</c> or the end of input.</summary>
    internal static async Task ReplAsync(TextReader input, TextWriter stdout, TextWriter stderr, ShellGlobals globals, string? history, bool interactive,
        CancellationToken cancellationToken)
    {
        var options = ScriptOptions.Default.AddReferences(References()).AddImports(Imports);
        ScriptState<object>? state = null;
        var buffer = new StringBuilder();
        while (true)
        {
            if (interactive) await stdout.WriteAsync(buffer.Length == 0 ? "> " : ". ");
            var line = await input.ReadLineAsync(cancellationToken);
            if (line is null && buffer.Length == 0) break;
            if (line is not null)
            {
                if (buffer.Length == 0 && line.Trim() == ".exit") break;
                if (buffer.Length == 0 && line.Trim().Length == 0) continue;
                buffer.Append(line).Append('\n');
                // Roslyn tells an unfinished statement from a wrong one, so only the former waits for more lines.
                if (!SyntaxFactory.IsCompleteSubmission(CSharpSyntaxTree.ParseText(buffer.ToString(), CSharpParseOptions.Default.WithKind(SourceCodeKind.Script), cancellationToken: cancellationToken)))
                    continue;
            }
            var code = buffer.ToString();
            buffer.Clear();
            if (history is not null) await File.AppendAllTextAsync(history, code, cancellationToken);
            state = await RunOneAsync(state, code, options, globals, stdout, stderr) ?? state;
            if (line is null) break;
        }
    }

    /// <summary>Runs one submission on top of the previous ones (their variables stay in scope); the new state, or null
    /// when it failed (the previous state goes on, as if the failed line had not been entered).</summary>
    private static async Task<ScriptState<object>?> RunOneAsync(ScriptState<object>? state, string code, ScriptOptions options, ShellGlobals globals,
        TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var next = state is null
                ? await CSharpScript.RunAsync(code, options, globals)
                : await state.ContinueWithAsync(code, options);
            await PrintAsync(await AwaitAsync(next.ReturnValue), stdout);
            return next;
        }
        catch (CompilationErrorException ex)
        {
            await stderr.WriteLineAsync("error: " + string.Join("; ", ex.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))));
        }
#pragma warning disable CA1031 // a REPL reports whatever a statement throws, as one line, and reads the next one
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var inner = ex is TargetInvocationException or AggregateException && ex.InnerException is not null ? ex.InnerException : ex;
            await stderr.WriteLineAsync($"error: {inner.GetType().Name}: {inner.Message.ReplaceLineEndings(" ")}");
        }
        return null;
    }

    /// <summary>The result of a task or value task, so <c>Db.GetAsync(...)</c> typed without await prints the row.</summary>
    private static async Task<object?> AwaitAsync(object? value)
    {
        if (value is null) return null;
        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            value = type.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(value, null);
        else if (value is ValueTask plain)
            value = plain.AsTask();
        if (value is not Task task) return value;
        await task;
        var taskType = task.GetType();
        // Task<VoidTaskResult> (a plain Task from an async method) has a Result nobody wants to see.
        return taskType.IsGenericType && taskType.GetGenericArguments()[0].Name != "VoidTaskResult"
            ? taskType.GetProperty(nameof(Task<int>.Result))!.GetValue(task)
            : null;
    }

    private static async Task PrintAsync(object? value, TextWriter stdout)
    {
        if (value is null) return;
        if (value is string || value.GetType().IsPrimitive || value is decimal or Guid)
        {
            await stdout.WriteLineAsync(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        string text;
        try
        {
            text = DataCommands.Json(value);
        }
#pragma warning disable CA1031 // not every object serialises (cycles, pointers): then its ToString is what there is to show
        catch (Exception)
#pragma warning restore CA1031
        {
            text = value.ToString() ?? "";
        }
        await stdout.WriteLineAsync(text);
    }

    /// <summary>The assemblies a statement may use: the app's (everything loaded now, which includes every driver bkcs
    /// carries) and the framework ones it names through <see cref="Imports"/>.</summary>
    private static IEnumerable<Assembly> References() =>
        new[] { typeof(Db).Assembly, typeof(Enumerable).Assembly, typeof(System.Text.Json.JsonSerializer).Assembly,
                typeof(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions).Assembly, typeof(ShellGlobals).Assembly }
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0))
            .Distinct();
}
