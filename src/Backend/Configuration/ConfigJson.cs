using System.Text.Json;

namespace Backend.Configuration;

/// <summary>The reference's JSON-valued parameters (<c>-redis-options</c>, <c>-memcache-options</c>, ...): the
/// properties of a JSON object, or a <see cref="ConfigException"/> naming the parameter.</summary>
public static class ConfigJson
{
    /// <summary>The properties of the object in <paramref name="json"/> (none when it is empty); a
    /// <see cref="ConfigException"/> when it is not JSON or not an object.</summary>
    public static IEnumerable<JsonProperty> Properties(string parameter, string? json)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        if (string.IsNullOrWhiteSpace(json)) return [];
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"invalid value for -{parameter}: not JSON ({ex.Message})");
        }
        return root.ValueKind == JsonValueKind.Object
            ? root.EnumerateObject().ToList()
            : throw new ConfigException($"invalid value for -{parameter}: expected a JSON object");
    }
}
