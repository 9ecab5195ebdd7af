using System.Globalization;
using System.Text.Json;
using Backend.Data;
using Backend.Files;
using Backend.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Api.Messages;

/// <summary>What one cleanup found and did.</summary>
/// <param name="Listed">Files under the message images folder.</param>
/// <param name="Old">Of those, files older than the age asked for.</param>
/// <param name="Referenced">Old files a box row still refers to (kept).</param>
/// <param name="Deleted">Old files no row refers to, deleted.</param>
/// <param name="Failed">Orphans that could not be deleted.</param>
internal sealed record MessageImageCleanupResult(int Listed, int Old, int Referenced, int Deleted, int Failed);

/// <summary>The built-in job <c>cleanup-images</c> (docs/jobs.md): deletes message images (files under
/// <see cref="MessageStore.ImageFolder"/> of the <see cref="IFileStore"/>) that no row of the inbox, the archive or the
/// sent box refers to, and that are older than an age (24 hours by default).
/// <para>Why an image can be orphaned at all: <see cref="MessageStore"/> stores the image before any row and deletes it
/// after the last row, but a process that dies in between (or a row deleted behind the API's back) leaves the file.
/// Why this never deletes a live one: the old files are listed first, then every box is read; a message being written
/// now refers to a file uploaded just now, which is too young to be a candidate. The inbox is read before the archive
/// because an archive move writes the archive row before it deletes the inbox row, so a message moving during the
/// cleanup is seen in one of them.</para>
/// <para>A store that cannot list (<see cref="IFileStore.ListAsync"/> not implemented) fails the run with a
/// <see cref="NotSupportedException"/> saying so, before anything is read or deleted.</para></summary>
internal sealed partial class MessageImageCleanup(Db db, IFileStore files, TimeProvider time)
{
    /// <summary>The job's name.</summary>
    public const string JobName = "cleanup-images";

    /// <summary>Files younger than this many hours are kept unless the job's <c>hours</c> says otherwise.</summary>
    public const int DefaultHours = 24;

    /// <summary>Most hours <c>hours</c> takes (about 100 years).</summary>
    public const int MaxHours = 876_000;

    /// <summary>Registers the service and the job.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<MessageImageCleanup>();
        services.AddSingleton(new JobRegistration(JobName, RunJobAsync,
            $"Deletes message images no inbox, archive or sent row refers to, older than \"hours\" ({DefaultHours})"));
    }

    /// <summary>The job: <c>{"hours": N}</c> (at least 1; <see cref="DefaultHours"/>), counts in the log; a store
    /// that cannot list, bad arguments or files that could not be deleted fail the run.</summary>
    public static async Task RunJobAsync(JobContext job, JsonElement args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var hours = DefaultHours;
        if (args.ValueKind == JsonValueKind.Object && args.TryGetProperty("hours", out var h))
        {
            if (h.ValueKind != JsonValueKind.Number || !h.TryGetInt32(out hours) || hours < 1 || hours > MaxHours)
                throw new ArgumentException($"\"hours\" must be an integer between 1 and {MaxHours}");
        }
        var cleanup = job.Services.GetRequiredService<MessageImageCleanup>();
        var result = await cleanup.RunAsync(TimeSpan.FromHours(hours), job.Logger, ct);
        Cleaned(job.Logger, result.Listed, result.Old, hours, result.Referenced, result.Deleted, result.Failed);
        if (result.Failed > 0)
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{result.Failed} of {result.Failed + result.Deleted} orphaned images could not be deleted (see the log); {result.Deleted} were"));
    }

    /// <summary>Deletes the images under <see cref="MessageStore.ImageFolder"/> older than <paramref name="minAge"/>
    /// that no box row refers to.</summary>
    /// <exception cref="NotSupportedException">The file store cannot list its files; nothing was deleted.</exception>
    public async Task<MessageImageCleanupResult> RunAsync(TimeSpan minAge, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (minAge <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(minAge), "an image being uploaded now must never be a candidate");
        var cutoff = time.GetUtcNow() - minAge;
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        var listed = 0;
        try
        {
            await foreach (var file in files.ListAsync(MessageStore.ImageFolder, ct))
            {
                listed++;
                if (file.LastModified < cutoff) candidates.Add(file.Path);
            }
        }
        catch (NotSupportedException ex)
        {
            throw new NotSupportedException($"{JobName}: the file store ({files.GetType().Name}) cannot list its files, so orphaned images cannot be found; nothing was deleted ({ex.Message})", ex);
        }
        var old = candidates.Count;
        if (old == 0) return new(listed, 0, 0, 0, 0);
        // Inbox before archive (see the class); the keys are read too, for the paging tokens.
        var options = new DbOptions { Select = ["id", "mkey", "icon"], Count = 1000 };
        foreach (var table in new[] { MessageTables.Inbox, MessageTables.Archive, MessageTables.Sent })
        {
            if (candidates.Count == 0) break;
            await foreach (var row in db.ScanAsync(table, null, options, ct))
            {
                if (row.GetString("icon") is { Length: > 0 } icon) candidates.Remove(icon);
                if (candidates.Count == 0) break;
            }
        }
        var referenced = old - candidates.Count;
        int deleted = 0, failed = 0;
        foreach (var path in candidates)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await files.DeleteAsync(path, ct)) deleted++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failed++;
                NotDeleted(logger, path, ex.Message);
            }
        }
        return new(listed, old, referenced, deleted, failed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = JobName + ": {Listed} message images, {Old} older than {Hours} h: {Referenced} still in a box, {Deleted} orphans deleted, {Failed} could not be deleted")]
    private static partial void Cleaned(ILogger logger, int listed, int old, int hours, int referenced, int deleted, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = JobName + ": {Path} could not be deleted: {Error}")]
    private static partial void NotDeleted(ILogger logger, string path, string error);
}
