using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Backend.Data;

namespace Backend.Http;

/// <summary>Writes rows directly: their values are only ever string, long, double, bool, JSON nodes or (from app
/// processors) other objects, so a type switch replaces the serializer's per-value polymorphic lookup on the hot
/// path of every API reply. Reading falls back to a plain dictionary of JSON values.</summary>
internal sealed class DbRowJsonConverter : JsonConverter<DbRow>
{
    public override DbRow Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var row = new DbRow();
        foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ref reader, options) ?? []) row[k] = v;
        return row;
    }

    public override void Write(Utf8JsonWriter writer, DbRow value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, v) in value)
        {
            switch (v)
            {
                case null:
                    if (options.DefaultIgnoreCondition != JsonIgnoreCondition.WhenWritingNull) writer.WriteNull(name);
                    break;
                case string s:
                    writer.WriteString(name, s);
                    break;
                case long l:
                    writer.WriteNumber(name, l);
                    break;
                case int i:
                    writer.WriteNumber(name, i);
                    break;
                case double d when double.IsFinite(d):
                    writer.WriteNumber(name, d);
                    break;
                case bool b:
                    writer.WriteBoolean(name, b);
                    break;
                case JsonNode n:
                    writer.WritePropertyName(name);
                    n.WriteTo(writer, options);
                    break;
                default:
                    writer.WritePropertyName(name);
                    JsonSerializer.Serialize(writer, v, v.GetType(), options);
                    break;
            }
        }
        writer.WriteEndObject();
    }
}
