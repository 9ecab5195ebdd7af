using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Backend.Http;

/// <summary>Writes JSON replies and errors in the documented shapes.</summary>
internal static class JsonReply
{
    /// <summary>Serializer options of every reply: property names as given (rows keep their column names), no nulls.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new DbRowJsonConverter() },
    };

    /// <summary>Writes a value as JSON with status 200.</summary>
    public static Task Write(HttpContext context, object? value)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, value ?? new Dictionary<string, object>(), Options, context.RequestAborted);
    }

    /// <summary>Writes <c>{"status":N,"message":"..."}</c> with that HTTP status.</summary>
    public static Task Error(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, new ErrorBody(status, message), ErrorContext.Default.ErrorBody, context.RequestAborted);
    }
}

internal sealed record ErrorBody(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("message")] string Message);

[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorContext : JsonSerializerContext;
