using System.Net.Mail;
using Backend.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Backend.Runtime;

/// <summary>Registers the log watcher (<see cref="LogWatcher"/>, run by the monitor) with its options and the sender
/// its parameters choose; checks the mail addresses, so a bad one is a configuration error at start.</summary>
internal static class LogWatcherServices
{
    public static void Add(IServiceCollection services, BackendConfig config)
    {
        CheckAddresses(config);
        var files = Files(config);
        services.AddBackendOptions<LogWatcherOptions>(config).PostConfigure(o =>
        {
            o.Files = files;
            o.Home = config.Home;
            o.StateFile = config.HomePath("var", "logwatcher.json");
        });
        services.TryAddSingleton<ILogReportSender>(sp => sp.GetRequiredService<IOptions<LogWatcherOptions>>().Value.Url.Length > 0
            ? ActivatorUtilities.CreateInstance<HttpLogReportSender>(sp)
            : ActivatorUtilities.CreateInstance<SmtpLogReportSender>(sp));
        services.TryAddSingleton<LogWatcher>();
    }

    /// <summary>The files scanned, each once, in this order: the log (-log-file; log/message.log with -daemon), the
    /// -logwatcher-file ones (relative to the home), the error file (-err-file; log/error.log with -daemon), whose
    /// every line is reported.</summary>
    internal static List<WatchedLogFile> Files(BackendConfig config)
    {
        var daemon = config.GetBool("daemon");
        var log = daemon ? Daemon.LogFile(config) : config.GetPath("log-file") is { Length: > 0 } l ? l : null;
        var err = daemon ? Daemon.ErrFile(config) : config.GetPath("err-file") is { Length: > 0 } e ? e : null;
        var files = new List<WatchedLogFile>();
        void Add(string? path, bool everyLine)
        {
            if (path is null || files.Any(f => f.Path == path)) return;
            files.Add(new WatchedLogFile(path, everyLine));
        }
        Add(log, false);
        foreach (var file in config.GetList("logwatcher-file")) Add(ConfigPaths.Resolve(config.Home, file), false);
        Add(err, true);
        return files;
    }

    private static void CheckAddresses(BackendConfig config)
    {
        foreach (var address in config.GetList("logwatcher-email"))
            Check(config, "logwatcher-email", address);
        if (config.GetString("logwatcher-from", "") is { Length: > 0 } from) Check(config, "logwatcher-from", from);
    }

    private static void Check(BackendConfig config, string name, string address)
    {
        if (!MailAddress.TryCreate(address, out _))
            throw new ConfigException($"invalid value for -{config.GivenName(name)}: \"{address}\" is not a mail address");
    }
}
