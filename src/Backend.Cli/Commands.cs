using System.Reflection;
using Backend.Configuration;
using Backend.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Cli;

/// <summary>The <c>bkcs</c> commands. Exit codes: 0 success, 2 usage or configuration error, 1 runtime failure.</summary>
internal static class Commands
{
    private const string Usage = """
        usage: bkcs COMMAND [-name value ...]

        commands:
          run-backend    development: the API server (port 8000, embedded SQLite in ~/.backend by default) as
                         -debug -watch -web -master: a Web server with worker processes and the jobs
                         scheduler, restarted when etc/config, etc/crontab or the app's sources change; inside an
                         app folder (bkcs init-app) it builds and runs the app instead, with -home the folder
          run-server     production: -daemon -monitor -master -syslog: in the background, every process restarted
                         if it exits, logs to syslog; 'bkcs stop' ends it (docs/operations.md)
          run            one process serving the API, with no other parameters (add -web, -master, ... yourself)
          stop           end the server of this home (SIGTERM to the process in -pid-file, var/bkcs.pid) and wait
          restart        restart the Web workers of this home's server one at a time (SIGHUP)
          help           this text
          help config    every configuration parameter with its type, default and description
          add-user login L secret S name N [type admin] [column value ...]
                         add an account directly in the database (as an admin would: type, ACLs allowed)
          run-job NAME [-args JSON]
                         run a registered job now, in this process (crontab jobs run in processes of the
                         master), and record the run in bk_job_run; exit 0 done, 1 the job failed, 2 unknown job
                         or bad -args (docs/jobs.md)
          get|put|update|del TABLE col value [col value ...]
                         one row by primary key: read, write whole, change columns of, delete; the row (as stored) is
                         printed as one JSON line; exit 1 when there is no such row, 2 for an unknown table or column
          select TABLE [col value ...] [-count N] [-start TOKEN]
                         matching rows, one JSON object per line; 'next: -start TOKEN' on stderr when more remain
          show-config [NAME ...]
                         the effective parameters, each with where its value came from; secrets masked
          shell          a C# REPL with Db, Config and Services in scope (no web server); history in -repl-file;
                         a server started with -repl-port P -repl-token T takes the same REPL on 127.0.0.1:P
          shell -get|-put|-update|-del|-select|-add-user|-show-config ...
                         the same commands in the reference's bksh spelling (docs/shell.md)
          init-app NAME [-dir DIR] [-backend-path DIR]
                         create an app project in DIR (./NAME): a table, /test/add and /test/ID, etc/config, a
                         test project and a README, from the dotnet new template backendcs-app (installed from
                         the Backend.cs source tree, which the app references: -backend-path, by default the
                         tree of this bkcs); exit 2 for a bad name or a non-empty DIR (docs/first-app.md)
          sign           print a bk-signature for a request (for curl); 'bkcs sign' alone shows its usage
          webpush-keys   print a new Web Push VAPID key pair as the config lines webpush-public-key=... and
                         webpush-private-key=... (for HOME/etc/config)
          version        print the version

        Parameters are given as -name value (a bare -flag for booleans); the same names work as name=value lines
        in HOME/etc/config and HOME/etc/config.local and as BKCS_NAME environment variables.
        Example: bkcs run-backend -home /tmp/bk -port 8080
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : null;
        try
        {
            switch (command)
            {
                case null:
                case "help" when args.Length == 1:
                    await stdout.WriteLineAsync(Usage);
                    return command is null ? 2 : 0;
                case "help" when args[1] == "config":
                    // The registry of bkcs itself: the core's parameters and those its drivers register (aws-*, ...).
                    await stdout.WriteAsync(CreateBuilder(["-log", "none"]).Parameters.FormatHelp());
                    return 0;
                case "help":
                    await stderr.WriteLineAsync($"bkcs: no help on '{args[1]}'; try 'bkcs help' or 'bkcs help config'");
                    return 2;
                case "version":
                    await stdout.WriteLineAsync(typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
                    return 0;
                case "add-user":
                    return await AddUserAsync(args, stdout, stderr);
                case "get" or "put" or "update" or "del" or "select":
                    return await DataCommands.RunAsync(args, CreateBuilder, stdout, stderr);
                case "show-config":
                    return await ShowConfigCommand.RunAsync(CreateBuilder(DataCommands.QuietByDefault(args)).Config, stdout, stderr);
                case "shell" when args.Length > 1 && ShellCommand.OneShot(args[1]) is { } oneShot:
                    // bksh's flags (-get TABLE ..., -add-user ...) are the one-shot commands under their old spelling.
                    return await RunAsync([oneShot, .. args[2..]], stdout, stderr);
                case "shell":
                    return await ShellCommand.RunAsync(args, CreateBuilder, Console.In, stdout, stderr);
                case "sign":
                    return await SignCommand.RunAsync(args, stdout, stderr);
                case "webpush-keys":
                    return await WebPushKeysCommand.RunAsync(args, stdout, stderr);
                case "init-app":
                    return await InitAppCommand.RunAsync(args, stdout, stderr);
                case "run-job":
                    return await RunJobCommand.RunAsync(args, CreateBuilder, stdout, stderr);
                case "run-backend":
                    // Inside an app folder (bkcs init-app): the app, built and run with the same flags, its home the folder.
                    if (AppRunner.FindProject(Directory.GetCurrentDirectory()) is { } project)
                        return await AppRunner.RunAsync(Directory.GetCurrentDirectory(), project,
                            [.. args.AsSpan(1).Contains("-home") ? [] : AppHome, .. DevelopmentFlags, .. args[1..]], stdout, stderr);
                    return await RunServerAsync([args[0], .. DevelopmentFlags, .. args[1..]]);
                case "run-server":
                    return await RunServerAsync([args[0], .. ProductionFlags, .. args[1..]]);
                case "run":
                    return await RunServerAsync(args);
                case "stop":
                case "restart":
                    return await SignalCommand.RunAsync(command, CreateBuilder(args).Config, stdout, stderr);
                default:
                    await stderr.WriteLineAsync($"bkcs: unknown command '{command}'; run 'bkcs help'");
                    return 2;
            }
        }
        catch (ConfigException ex)
        {
            await stderr.WriteLineAsync("bkcs: " + ex.Message);
            return 2;
        }
        catch (IOException ex)
        {
            // Start-up failures such as a port already in use: one line, no stack trace.
            await stderr.WriteLineAsync("bkcs: " + ex.Message);
            return 1;
        }
        catch (Backend.Data.DbException ex)
        {
            await stderr.WriteLineAsync("bkcs: " + ex.Message);
            return 1;
        }
    }

    /// <summary>The reference's development mode (bkjs run-backend).</summary>
    private static readonly string[] DevelopmentFlags = ["-debug", "-watch", "-web", "-master"];
    private static readonly string[] AppHome = ["-home", "."];

    /// <summary>The reference's production mode (bkjs run-server).</summary>
    private static readonly string[] ProductionFlags = ["-daemon", "-monitor", "-master", "-syslog"];

    /// <summary>bkcs includes every database driver, cache and pub/sub provider.</summary>
    internal static BackendApplicationBuilder CreateBuilder(string[] args) => BackendApplicationBuilder.CreateBuilder(args)
        .AddPostgres()
        .AddMySql()
        .AddDynamoDb()
        .AddRedis()
        .AddLmdb()
        .AddMemcached()
        .AddRabbitMq()
        .AddNetMq()
        .AddS3();

    private static async Task<int> AddUserAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var builder = CreateBuilder(args);
        var pairs = builder.Config.Arguments;
        if (pairs.Count == 0 || pairs.Count % 2 != 0)
        {
            await stderr.WriteLineAsync("bkcs add-user: expected column value pairs, e.g. bkcs add-user login test secret test name Test [type admin]");
            return 2;
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Count; i += 2) values[pairs[i]] = pairs[i + 1];
        await using var app = builder.Build();
        await app.Db.InitAsync();
        try
        {
            var row = await Backend.Api.Accounts.AccountWriter.AddAsync(app.Db, values, asAdmin: true,
                Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<TimeProvider>(app.Services), CancellationToken.None,
                Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Backend.Api.IAccountCreationHandler>(app.Services));
            await stdout.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(row, Backend.Http.JsonReply.Options));
            return 0;
        }
        catch (Backend.Http.ApiException ex)
        {
            await stderr.WriteLineAsync("bkcs add-user: " + ex.Message);
            return ex.Status == 409 ? 1 : 2;
        }
        catch (Backend.Data.DbException ex) when (Backend.Http.DbErrorStatus.Of(ex.Kind) < 500)
        {
            await stderr.WriteLineAsync("bkcs add-user: " + ex.Message);
            return 2;
        }
    }

    private static async Task<int> RunServerAsync(string[] args)
    {
        var builder = CreateBuilder(args);
        ReplServer.Add(builder);
        await using var app = builder.Build();
        foreach (var warning in builder.Config.Warnings) app.Logger.LogWarning("{Warning}", warning);
        await app.RunAsync();
        return Environment.ExitCode;
    }
}
