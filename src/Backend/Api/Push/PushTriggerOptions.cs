using Microsoft.Extensions.Configuration;

namespace Backend.Api.Push;

/// <summary>The built-in triggers (<c>-push-triggers</c>, <c>-push-text-*</c>, <c>-push-prefix</c>,
/// <c>-push-sound</c>).</summary>
internal sealed class PushTriggerOptions
{
    /// <summary>The trigger of a message received.</summary>
    public const string Message = "message";

    /// <summary>The trigger of a connection made to the account.</summary>
    public const string Connection = "connection";

    /// <summary>The trigger of the account's <c>ping</c> counter bumped.</summary>
    public const string Ping = "ping";

    /// <summary>The triggers that notify.</summary>
    [ConfigurationKeyName("push-triggers")]
    public IList<string> Triggers { get; set; } = [];

    /// <summary>Text of the message trigger ({alias}, {msg}).</summary>
    [ConfigurationKeyName("push-text-message")]
    public string MessageText { get; set; } = "{alias}: {msg}";

    /// <summary>Text of the connection trigger ({alias}, {type}).</summary>
    [ConfigurationKeyName("push-text-connection")]
    public string ConnectionText { get; set; } = "{alias} connected with you: {type}";

    /// <summary>Text of the ping trigger ({alias}).</summary>
    [ConfigurationKeyName("push-text-ping")]
    public string PingText { get; set; } = "{alias} pinged you";

    /// <summary>Put before every trigger's text with a space.</summary>
    [ConfigurationKeyName("push-prefix")]
    public string Prefix { get; set; } = "";

    /// <summary>Sound of the triggers' notifications; empty for silent ones.</summary>
    [ConfigurationKeyName("push-sound")]
    public string Sound { get; set; } = "default";

    /// <summary>True when <paramref name="trigger"/> is on.</summary>
    public bool IsOn(string trigger) => Triggers.Contains(trigger, StringComparer.OrdinalIgnoreCase);
}
