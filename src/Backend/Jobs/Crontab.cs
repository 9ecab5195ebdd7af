using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cronos;

namespace Backend.Jobs;

/// <summary>Where a crontab entry runs its jobs: <c>local</c> in a process of the master that claims the tick,
/// <c>remote</c> on the queue, for whichever master takes the entry's tag.</summary>
internal enum JobType
{
    Local,
    Remote,
}

/// <summary>One job of one crontab entry: what a tick of <see cref="Cron"/> starts.</summary>
/// <param name="Type">Local or remote.</param>
/// <param name="CronText">The six fields as written.</param>
/// <param name="Cron">The parsed expression.</param>
/// <param name="Name">The job's name.</param>
/// <param name="Args">Its arguments, a JSON object's text.</param>
/// <param name="Tag">The tag of a remote entry ("" when none).</param>
/// <param name="Where">FILE:LINE:COLUMN of the entry.</param>
/// <param name="Key">Identifies the entry's job across nodes (a hash of type, cron, tag, name and arguments): the claim
/// of a tick is its time plus this key, so masters sharing a crontab compute the same claim.</param>
internal sealed record CronJob(string Key, JobType Type, string CronText, CronExpression Cron, string Name, string Args, string Tag, string Where)
{
    /// <summary>The next tick strictly after <paramref name="fromUtc"/>, in <paramref name="zone"/>.</summary>
    public DateTime? Next(DateTime fromUtc, TimeZoneInfo zone) => Cron.GetNextOccurrence(fromUtc, zone);

    /// <summary>The run id of the tick at <paramref name="tickUtc"/>.</summary>
    public string TickId(DateTime tickUtc) => JobIds.ForTime(new DateTimeOffset(tickUtc).ToUnixTimeMilliseconds(), Key);
}

/// <summary>A crontab file that cannot be used: <see cref="Exception.Message"/> names the file, line and column.</summary>
internal sealed class CrontabException(string message) : Exception(message);

/// <summary>The reference's <c>etc/crontab</c>: a JSON array of entries
/// <c>{ "type": "local"|"remote", "cron": "SEC MIN HOUR DAY MONTH WEEKDAY", "job": { "NAME": {ARGS} } | "NAME", "tag": "...", "disabled": true }</c>.
/// Comments (<c>//</c>, <c>/* */</c>) and trailing commas are allowed. A file that is wrong is refused whole, with the
/// place of the first problem.</summary>
internal static class Crontab
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>The jobs of <paramref name="text"/>. <paramref name="file"/> names it in errors; <paramref name="known"/>
    /// says whether a job name is registered (an unknown one is an error, so a typo is seen when the file is read).</summary>
    public static List<CronJob> Parse(string text, string file, Func<string, bool> known)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(known);
        var bytes = Encoding.UTF8.GetBytes(text);
        var jobs = new List<CronJob>();
        if (text.AsSpan().Trim().IsEmpty) return jobs;
        var reader = new Utf8JsonReader(bytes, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw Error(file, bytes, reader.TokenStartIndex, "expected a JSON array of entries");
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                index++;
                var start = reader.TokenStartIndex;
                using var entry = JsonDocument.ParseValue(ref reader);
                Entry(entry.RootElement, index, Where(file, bytes, start), known, jobs);
            }
            if (reader.TokenType != JsonTokenType.EndArray) throw Error(file, bytes, reader.TokenStartIndex, "the array is not closed");
            while (reader.Read())
                throw Error(file, bytes, reader.TokenStartIndex, "text after the array");
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            throw new CrontabException($"{file}:{line}:{column}: not valid JSON: {FirstSentence(ex.Message)}");
        }
        return jobs;
    }

    private static void Entry(JsonElement entry, int index, string where, Func<string, bool> known, List<CronJob> jobs)
    {
        string Fail(string message) => throw new CrontabException($"{where}: entry {index}: {message}");
        if (entry.ValueKind != JsonValueKind.Object) Fail("an entry is an object { \"cron\": ..., \"job\": ... }");
        if (entry.TryGetProperty("disabled", out var disabled) && disabled.ValueKind == JsonValueKind.True) return;
        var type = JobType.Local;
        if (entry.TryGetProperty("type", out var t))
        {
            type = t.ValueKind == JsonValueKind.String ? t.GetString() switch
            {
                "local" or "" => JobType.Local,
                "remote" => JobType.Remote,
                _ => (JobType)(-1),
            } : (JobType)(-1);
            if ((int)type < 0) Fail("\"type\" must be \"local\" or \"remote\"");
        }
        var tag = "";
        if (entry.TryGetProperty("tag", out var tg))
        {
            if (tg.ValueKind != JsonValueKind.String) Fail("\"tag\" must be a string");
            tag = tg.GetString()!;
        }
        if (!entry.TryGetProperty("cron", out var c) || c.ValueKind != JsonValueKind.String) Fail("\"cron\" (a string of six fields, seconds first) is required");
        var cronText = c.GetString()!.Trim();
        CronExpression cron;
        try
        {
            if (cronText.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6)
                Fail($"\"cron\": \"{cronText}\" must have six fields: second minute hour day month weekday");
            cron = CronExpression.Parse(cronText, CronFormat.IncludeSeconds);
        }
        catch (CronFormatException ex)
        {
            cron = null!;
            Fail($"\"cron\": \"{cronText}\": {ex.Message}");
        }
        if (!entry.TryGetProperty("job", out var job)) Fail("\"job\" (a job name, or an object of job names and their arguments) is required");
        var named = new List<(string Name, string Args)>();
        switch (job.ValueKind)
        {
            case JsonValueKind.String:
                named.Add((job.GetString()!, "{}"));
                break;
            case JsonValueKind.Object:
                foreach (var p in job.EnumerateObject())
                {
                    if (p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                        Fail($"\"job\": the arguments of \"{p.Name}\" must be an object");
                    named.Add((p.Name, p.Value.ValueKind == JsonValueKind.Null ? "{}" : JsonSerializer.Serialize(p.Value)));
                }
                if (named.Count == 0) Fail("\"job\" names no job");
                break;
            default:
                Fail("\"job\" must be a job name or an object of job names and their arguments");
                break;
        }
        foreach (var (name, args) in named)
        {
            if (!JobRegistry.IsValidName(name)) Fail($"\"{name}\" is not a valid job name");
            if (!known(name)) Fail($"no job named \"{name}\" is registered");
            var key = Key($"{type}\n{cronText}\n{tag}\n{name}\n{args}");
            jobs.Add(new CronJob(key, type, cronText, cron, name, args, tag, $"{where} (entry {index})"));
        }
    }

    private static string Key(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));

    private static CrontabException Error(string file, byte[] bytes, long offset, string message) => new($"{Where(file, bytes, offset)}: {message}");

    /// <summary>FILE:LINE:COLUMN (1-based) of a byte offset.</summary>
    internal static string Where(string file, byte[] bytes, long offset)
    {
        var line = 1;
        var lineStart = 0L;
        for (var i = 0L; i < offset && i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"{file}:{line}:{offset - lineStart + 1}");
    }

    private static string FirstSentence(string message)
    {
        // "'x' is an invalid start of a value. Path: $[0] | LineNumber: 2 | BytePositionInLine: 4." -> the first part
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut].TrimEnd() : message;
    }
}

/// <summary>Ids of runs and queued jobs: the time in milliseconds zero-padded to 15 digits, a dash, then a key, so
/// text order is time order.</summary>
internal static class JobIds
{
    public static string ForTime(long unixMs, string key) => string.Create(CultureInfo.InvariantCulture, $"{unixMs:D15}-{key}");

    public static string New(long unixMs) => ForTime(unixMs, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
}
