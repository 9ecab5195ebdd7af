using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>Assertions on API replies.</summary>
public static class ApiAssert
{
    /// <summary>Status 200.</summary>
    public static void Ok(ApiResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.Status == 200, $"expected 200, got {response}");
    }

    /// <summary>The error shape <c>{"status":N,"message":"..."}</c> with HTTP status N and nothing else; the message
    /// is checked when given, else it must be non-empty.</summary>
    public static void Error(ApiResponse response, int status, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        Assert.True(response.Status == status, $"expected {status}, got {response}");
        Assert.True(response.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true, $"error is not JSON ({response.ContentType}): {response}");
        var body = response.Object;
        Assert.Equal(["message", "status"], Accounts.Keys(body));
        Assert.Equal(status, body["status"]!.GetValue<int>());
        var text = body["message"]!.GetValue<string>();
        if (message is null) Assert.False(string.IsNullOrWhiteSpace(text), $"empty error message: {response}");
        else Assert.Equal(message, text);
    }

    /// <summary>A string property.</summary>
    public static void Property(JsonNode? node, string name, string? expected)
    {
        var obj = Assert.IsType<JsonObject>(node);
        Assert.Equal(expected, obj[name]?.ToString());
    }
}
