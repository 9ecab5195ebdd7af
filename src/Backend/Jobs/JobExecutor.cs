using System.Text.Json;
using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging;

namespace Backend.Jobs;

/// <summary>Runs one job's code in this process: in a job process the master started, or in <c>bkcs run-job</c>. The
/// master itself never calls it.</summary>
internal sealed class JobExecutor(JobRegistry registry, IServiceProvider services, Db db, BackendConfig config, ILoggerFactory logs)
{
    /// <summary>Parses job arguments: a JSON object (empty or missing is <c>{}</c>); null when they are not one.</summary>
    public static JsonElement? ParseArgs(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return JsonDocument.Parse("{}").RootElement.Clone();
        if (text.Length > JobTables.MaxArgs)
        {
            error = $"args are longer than {JobTables.MaxArgs} characters";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc.RootElement.Clone();
            error = "args must be a JSON object";
        }
        catch (JsonException ex)
        {
            error = $"args are not valid JSON (line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1})";
        }
        return null;
    }

    /// <summary>Runs the job; null on success, else the error text. Throws <see cref="KeyNotFoundException"/> for a
    /// name that is not registered.</summary>
    public async Task<string?> RunAsync(string name, string runId, JsonElement args, CancellationToken ct)
    {
        if (!registry.TryGet(name, out var job)) throw new KeyNotFoundException($"no job named \"{name}\" is registered");
        var logger = logs.CreateLogger("Backend.Jobs." + name);
        var context = new JobContext(name, runId, services, db, config, logger);
        try
        {
            await job.Run(context, args, ct);
            return null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "job {Name} ({RunId}) failed", name, runId);
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
