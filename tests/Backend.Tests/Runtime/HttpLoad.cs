using System.Collections.Concurrent;
using System.Diagnostics;

namespace Backend.Tests.Runtime;

/// <summary>A load generator for the runtime tests: <c>concurrency</c> loops on one keep-alive HttpClient, each
/// sending GET <c>path</c> as fast as the answers come, until stopped. Every answer other than 200 and every
/// connection error is a failure, kept with its time and reason.</summary>
public sealed class HttpLoad : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops;
    private readonly ConcurrentQueue<(DateTime At, string Reason)> _failures = new();
    private readonly ConcurrentBag<double> _latencies = [];
    private long _ok;

    public HttpLoad(Uri baseAddress, string path, int concurrency)
    {
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        _loops = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => LoopAsync(path)))];
    }

    public long Ok => Interlocked.Read(ref _ok);

    public IReadOnlyList<(DateTime At, string Reason)> Failures => [.. _failures];

    /// <summary>The latency percentile <paramref name="p"/> (0..1) of the successful requests, in ms.</summary>
    public double Percentile(double p)
    {
        var sorted = _latencies.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    private async Task LoopAsync(string path)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await _client.GetAsync(path, _stop.Token);
                await response.Content.ReadAsByteArrayAsync(_stop.Token);
                if ((int)response.StatusCode == 200)
                {
                    Interlocked.Increment(ref _ok);
                    _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    _failures.Enqueue((DateTime.UtcNow, $"status {(int)response.StatusCode}"));
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                _failures.Enqueue((DateTime.UtcNow, ex.GetType().Name + ": " + ex.Message + (ex.InnerException is { } inner ? " / " + inner.Message : "")));
                await Task.Delay(1);
            }
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
