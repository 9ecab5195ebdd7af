using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backend.Runtime;

/// <summary>The positions the log watcher reached, by absolute file path, kept in a small JSON file (var/logwatcher.json
/// in the home) so a restarted monitor goes on where the last one stopped instead of reporting the same lines again.
/// Written to a temporary file and renamed over the old one, so a crash mid-write leaves the previous state.</summary>
internal sealed class LogWatcherState(string path)
{
    private Dictionary<string, LogFilePosition> _positions = new(StringComparer.Ordinal);

    public string Path { get; } = path;

    public LogFilePosition? Get(string file) => _positions.GetValueOrDefault(file);

    public IReadOnlyDictionary<string, LogFilePosition> Positions => _positions;

    /// <summary>Reads the file; a missing or unreadable one is an empty state (every file read from its start).</summary>
    public bool Load()
    {
        try
        {
            var data = JsonSerializer.Deserialize(File.ReadAllBytes(Path), LogWatcherJson.Default.LogWatcherStateData);
            _positions = new Dictionary<string, LogFilePosition>(data?.Files ?? [], StringComparer.Ordinal);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            _positions = new Dictionary<string, LogFilePosition>(StringComparer.Ordinal);
            return false;
        }
    }

    /// <summary>Takes <paramref name="positions"/> and writes the file when anything changed.</summary>
    public void Commit(IEnumerable<KeyValuePair<string, LogFilePosition>> positions)
    {
        var changed = false;
        foreach (var (file, position) in positions)
        {
            if (_positions.TryGetValue(file, out var old) && old == position) continue;
            _positions[file] = position;
            changed = true;
        }
        if (!changed) return;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(new LogWatcherStateData(_positions), LogWatcherJson.Default.LogWatcherStateData));
        File.Move(temp, Path, overwrite: true);
    }
}

/// <summary>The state file's content: <c>{"files":{"/path/log/message.log":{"offset":1234,"headLength":256,"headHash":"..."}}}</c>.</summary>
internal sealed record LogWatcherStateData(Dictionary<string, LogFilePosition> Files);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LogWatcherStateData))]
[JsonSerializable(typeof(LogReport))]
internal sealed partial class LogWatcherJson : JsonSerializerContext;
