using Microsoft.Extensions.Configuration;

namespace Backend.Runtime;

/// <summary>The log watcher's parameters (section "logwatcher", the reference's <c>logwatcher-*</c> names), bound from
/// the registry; the files and the state file are set by <see cref="LogWatcherServices"/> from -log-file/-err-file and
/// the home.</summary>
internal sealed class LogWatcherOptions
{
    /// <summary>Where reports are POSTed as JSON; empty mails them to <see cref="Email"/>.</summary>
    [ConfigurationKeyName("logwatcher-url")]
    public string Url { get; set; } = "";

    /// <summary>Recipients of the report mails (when no <see cref="Url"/>).</summary>
    [ConfigurationKeyName("logwatcher-email")]
    public IList<string> Email { get; set; } = [];

    /// <summary>Sender of the report mails; logwatcher@HOSTNAME when empty.</summary>
    [ConfigurationKeyName("logwatcher-from")]
    public string From { get; set; } = "";

    /// <summary>Regexps of lines never reported.</summary>
    [ConfigurationKeyName("logwatcher-ignore")]
    public IList<string> Ignore { get; set; } = [];

    /// <summary>Regexps of lines reported, besides <see cref="LogScanner.BuiltInMatch"/>.</summary>
    [ConfigurationKeyName("logwatcher-match")]
    public IList<string> Match { get; set; } = [];

    /// <summary>Minutes between two scans (the reference's unit); 0 turns the watcher off.</summary>
    [ConfigurationKeyName("logwatcher-interval")]
    public double IntervalMinutes { get; set; } = 60;

    /// <summary>More files to scan with the match patterns (as given: relative to the home).</summary>
    [ConfigurationKeyName("logwatcher-file")]
    public IList<string> File { get; set; } = [];

    [ConfigurationKeyName("logwatcher-smtp-host")]
    public string SmtpHost { get; set; } = "localhost";

    [ConfigurationKeyName("logwatcher-smtp-port")]
    public int SmtpPort { get; set; } = 25;

    [ConfigurationKeyName("logwatcher-smtp-tls")]
    public bool SmtpTls { get; set; }

    [ConfigurationKeyName("logwatcher-smtp-user")]
    public string SmtpUser { get; set; } = "";

    [ConfigurationKeyName("logwatcher-smtp-password")]
    public string SmtpPassword { get; set; } = "";

    /// <summary>The files scanned, absolute, each once: -log-file, the -logwatcher-file ones, -err-file (every line
    /// reported). Set by <see cref="LogWatcherServices"/>.</summary>
    public IList<WatchedLogFile> Files { get; set; } = [];

    /// <summary>The backend home, named in reports.</summary>
    public string Home { get; set; } = "";

    /// <summary>Where the positions reached are kept across restarts (var/logwatcher.json in the home).</summary>
    public string StateFile { get; set; } = "";

    /// <summary>Most bytes read from one file in one scan (the reference's <c>logwatcherMax</c>): when more was written
    /// since the last scan, the older part is skipped and the report says how much.</summary>
    public int MaxReadBytes { get; set; } = 1_000_000;

    /// <summary>Most characters of log lines in one report; lines past it are counted, not sent.</summary>
    public int MaxReportChars { get; set; } = 256 * 1024;

    /// <summary>Longest line sent; a longer one is cut.</summary>
    public int MaxLineChars { get; set; } = 8192;

    /// <summary>Indented lines (a stack trace) kept after a matched line.</summary>
    public int ContextLines { get; set; } = 50;

    /// <summary>How long one delivery (the POST, or the SMTP session) may take.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether reports have somewhere to go and scans an interval.</summary>
    public bool Enabled => (Url.Length > 0 || Email.Count > 0) && IntervalMinutes > 0;

    /// <summary>The scan interval (at least 100 ms).</summary>
    public TimeSpan Interval => TimeSpan.FromMilliseconds(Math.Max(100, IntervalMinutes * 60_000));
}
