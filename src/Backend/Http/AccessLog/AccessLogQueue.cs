using System.Threading.Channels;
using Backend.Configuration;
using Microsoft.Extensions.Options;

namespace Backend.Http.AccessLog;

/// <summary>The bounded queue between the requests and the access log's writer. <see cref="Add"/> never waits: when
/// the queue is full (the writer cannot keep up, the disk stalls) the line is dropped and counted, and the writer logs
/// the count. Also decides where the log goes (<see cref="Path"/>; null: no access log).</summary>
internal sealed class AccessLogQueue
{
    /// <summary>Lines the queue holds: about 1.5 MB of entries at most, a second of 16k requests a second.</summary>
    public const int DefaultCapacity = 16_384;

    private readonly Channel<AccessLogEntry> _queue;
    private long _dropped;

    public AccessLogQueue(IOptions<AccessLogOptions> options, BackendConfig config)
        : this(Resolve(options.Value, config), DefaultCapacity)
    {
    }

    internal AccessLogQueue(string? path, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Path = path;
        Capacity = capacity;
        _queue = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(capacity)
        {
            // Wait (not a Drop mode): TryWrite then says false when full, so the drop is counted here.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>The access log file (absolute), or null when there is none.</summary>
    public string? Path { get; }

    /// <summary>True when requests are logged.</summary>
    public bool Enabled => Path is not null;

    /// <summary>Entries the queue holds at most.</summary>
    public int Capacity { get; }

    /// <summary>The writer's end.</summary>
    internal ChannelReader<AccessLogEntry> Reader => _queue.Reader;

    /// <summary>Queues one line; when the queue is full the line is dropped and counted, never waited for.</summary>
    public void Add(in AccessLogEntry entry)
    {
        if (!_queue.Writer.TryWrite(entry)) Interlocked.Increment(ref _dropped);
    }

    /// <summary>Lines dropped since the last call.</summary>
    internal long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    /// <summary>The file of these options: none with <c>-api-no-access-log</c>, else <c>-api-access-log</c>, else
    /// <c>log/access.log</c> in the home when the process is on by default.</summary>
    internal static string? Resolve(AccessLogOptions options, BackendConfig config)
    {
        if (options.Off) return null;
        if (!string.IsNullOrWhiteSpace(options.File)) return options.File;
        return options.OnByDefault ? config.HomePath("log", "access.log") : null;
    }
}
