using Backend.Data;
using Backend.Http;
using Backend.Jobs;
using Microsoft.AspNetCore.Http;

namespace Backend.Api.Sys;

/// <summary><c>/system/jobs/(submit|runs|queue|list)</c>: submit a job to the remote queue, list recorded runs, queued
/// jobs and the registered jobs (docs/jobs.md). Admins only, whatever <c>-api-unsecure</c> says: a job runs code.</summary>
internal sealed class SystemJobEndpoints(JobRegistry registry, JobRuns runs, Db db, ApiReply reply, TimeProvider time)
{
    /// <summary>Longest tag.</summary>
    public const int MaxTag = 128;

    public async Task Handle(HttpContext context, string op)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin) throw new ApiException(403, "Access denied: the jobs API is for admins");
        var ct = context.RequestAborted;
        object result = op switch
        {
            "submit" => await Submit(api, ct),
            "runs" => await Select(api, JobTables.Runs, ct),
            "queue" => await Select(api, JobTables.Queue, ct),
            "list" => registry.All.Select(j => new { name = j.Name, description = j.Description }).ToList(),
            _ => throw ApiException.NotFound($"Unknown jobs operation: {op}"),
        };
        await reply.Send(context, result);
    }

    private async Task<object> Submit(ApiRequest api, CancellationToken ct)
    {
        var name = api.Require("name");
        if (!registry.Contains(name)) throw ApiException.BadRequest($"no job named \"{(name.Length > 64 ? name[..64] + "..." : name)}\" is registered");
        if (JobExecutor.ParseArgs(api.Get("args"), out var error) is not { } args) throw ApiException.BadRequest(error!);
        var tag = api.Get("tag") ?? "";
        if (tag.Length > MaxTag) throw ApiException.BadRequest($"tag is longer than {MaxTag} characters");
        var id = JobIds.New(time.GetUtcNow().ToUnixTimeMilliseconds());
        await runs.EnqueueAsync(id, name, System.Text.Json.JsonSerializer.Serialize(args), tag, ct);
        return new { id };
    }

    // Newest first; name and status narrow the list; _count (50, at most 1000) and _start page it.
    private async Task<DbResult> Select(ApiRequest api, string table, CancellationToken ct)
    {
        var query = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var column in new[] { "name", "status", "tag" })
        {
            if (api.Get(column) is not { } v) continue;
            if (table == JobTables.Queue && column == "status") continue;
            if (v.Length > 128) throw ApiException.BadRequest($"{column} is longer than 128 characters");
            query[column] = v;
        }
        var options = new DbOptions { Count = api.Int("_count", 50, 1, 1000), Desc = table == JobTables.Runs, Start = api.Get("_start") };
        return await db.SelectAsync(table, query, options, ct);
    }
}
