using Microsoft.Extensions.Logging;

namespace Backend.Jobs;

/// <summary>The jobs module's log lines (source-generated).</summary>
internal static partial class JobsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "noop ({RunId})")]
    public static partial void Noop(this ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "cleanup-jobs: {Deleted} old runs deleted, {Lost} marked lost, {Dequeued} queue rows dropped")]
    public static partial void Cleaned(this ILogger logger, int deleted, int lost, int dequeued);

    [LoggerMessage(Level = LogLevel.Information, Message = "crontab: {Count} scheduled jobs from {Files}")]
    public static partial void CrontabRead(this ILogger logger, int count, string files);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Name} ({Run}) started, pid {Pid}")]
    public static partial void JobStarted(this ILogger logger, string name, string run, int pid);

    [LoggerMessage(Message = "job {Name} ({Run}) ended: {Status} in {Ms} ms{Error}")]
    public static partial void JobEnded(this ILogger logger, LogLevel level, string name, string run, string status, long ms, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "job scheduler: at most {Max} jobs at once, remote queue every {Interval} ms, tag \"{Tag}\"")]
    public static partial void SchedulerStarted(this ILogger logger, int max, int interval, string tag);

    [LoggerMessage(Level = LogLevel.Information, Message = "crontab: {Name} queued for tag \"{Tag}\" ({Id})")]
    public static partial void TickQueued(this ILogger logger, string name, string tag, string id);
}
