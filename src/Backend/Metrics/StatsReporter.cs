using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Metrics;

/// <summary>The reference's statistics collector (<c>-collect-host</c>): every <c>-collect-interval</c> seconds a
/// sample of the statistics (<c>/system/stats/get</c>'s JSON with <c>mtime</c>, <c>host</c> and <c>pid</c>), every
/// <c>-collect-send-interval</c> seconds the samples taken since the last post POSTed together as a JSON array. A post
/// that fails (no answer within 10 s, or not 2xx) keeps its samples for the next one (at most
/// <see cref="MaxPending"/>, the oldest dropped first) and is logged once per outage. Runs on its own timer, never in a
/// request's way.</summary>
internal sealed class StatsReporter : IDisposable
{
    /// <summary>Most samples kept while the collector does not take them.</summary>
    public const int MaxPending = 100;

    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private readonly CollectOptions _options;
    private readonly ILogger<StatsReporter> _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly string _shownUrl;
    private readonly string _host = System.Net.Dns.GetHostName();
    private readonly Queue<byte[]> _pending = new();
    private int _failures;
    private long _dropped;

    public StatsReporter(IOptions<CollectOptions> options, ILogger<StatsReporter> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        _url = new Uri(_options.Host);
        // Credentials in the URL (https://user:password@host/path) are sent as basic authentication, and never logged.
        _shownUrl = _url.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped);
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = SendTimeout };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Backend.cs-collect/1.0");
        if (_url.UserInfo.Length > 0)
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(_url.UserInfo))));
    }

    /// <summary>Samples waiting to be posted.</summary>
    public int Pending => _pending.Count;

    /// <summary>Takes a sample of <paramref name="source"/> every interval and posts them every send interval, until
    /// <paramref name="ct"/> is cancelled. <paramref name="source"/> answers null when it has nothing (no sample).</summary>
    public async Task RunAsync(Func<CancellationToken, Task<ProcessStats?>> source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("posting the statistics to {Url} every {Seconds} s, a sample every {Interval} s",
                _shownUrl, Seconds(_options.Interval * _options.SamplesPerSend), Seconds(_options.Interval));
        }
        using var timer = new PeriodicTimer(_options.Interval, _time);
        var taken = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await SampleAsync(source, ct);
                if (++taken % _options.SamplesPerSend == 0) await SendAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private async Task SampleAsync(Func<CancellationToken, Task<ProcessStats?>> source, CancellationToken ct)
    {
        ProcessStats? stats;
        try
        {
            stats = await source(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (_logger.IsEnabled(LogLevel.Debug)) _logger.LogDebug("no statistics sample: {Error}", ex.Message);
            return;
        }
        if (stats is null) return;
        var sample = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["mtime"] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            ["host"] = _host,
            ["pid"] = Environment.ProcessId,
        };
        foreach (var (key, value) in stats.ToJson()) sample[key] = value;
        _pending.Enqueue(JsonSerializer.SerializeToUtf8Bytes(sample));
        while (_pending.Count > MaxPending)
        {
            _pending.Dequeue();
            _dropped++;
        }
    }

    private async Task SendAsync(CancellationToken ct)
    {
        if (_pending.Count == 0) return;
        var batch = _pending.ToArray();
        try
        {
            using var content = new ByteArrayContent(Batch(batch));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _client.PostAsync(_url, content, ct);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            if (_failures++ == 0 && _logger.IsEnabled(LogLevel.Warning))
            {
                var error = ex is OperationCanceledException ? $"no answer within {SendTimeout.TotalSeconds} s" : ex.Message;
                _logger.LogWarning("the statistics could not be posted to {Url}: {Error}; the samples are kept (at most {Max}) and posted again with the next ones",
                    _shownUrl, error, MaxPending);
            }
            return;
        }
        for (var i = 0; i < batch.Length; i++) _pending.Dequeue();
        if (_failures > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("the statistics were posted to {Url} again after {Failures} failed posts ({Dropped} samples dropped)", _shownUrl, _failures, _dropped);
        }
        _failures = 0;
        _dropped = 0;
    }

    /// <summary>The samples as one JSON array.</summary>
    private static byte[] Batch(byte[][] samples)
    {
        var buffer = new byte[samples.Sum(s => s.Length + 1) + 1];
        var at = 0;
        buffer[at++] = (byte)'[';
        for (var i = 0; i < samples.Length; i++)
        {
            if (i > 0) buffer[at++] = (byte)',';
            samples[i].CopyTo(buffer, at);
            at += samples[i].Length;
        }
        buffer[at] = (byte)']';
        return buffer;
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Runs <see cref="StatsReporter"/> on this process's own figures (a single server).</summary>
internal sealed class StatsReporterService(StatsReporter reporter, StatsCollector collector) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        reporter.RunAsync(_ => Task.FromResult<ProcessStats?>(collector.Snapshot()), stoppingToken);
}
