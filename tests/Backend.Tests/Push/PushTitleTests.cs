using System.Text.Json;
using Backend.Push;
using Backend.Push.Apns;
using Backend.Push.Fcm;
using Backend.Push.WebPush;

namespace Backend.Tests.Push;

/// <summary>A message's title in each service's body, where each documents it (APNs <c>aps.alert.title</c> beside
/// <c>body</c>, FCM v1 <c>notification.title</c>, the Web Push payload's <c>title</c>), and nothing of it without
/// one. The senders' end-to-end tests against the local services cover the rest of the bodies.</summary>
public sealed class PushTitleTests
{
    private static readonly PushMessage WithTitle = new("the text", 2) { Title = "The title" };
    private static readonly PushMessage WithoutTitle = new("the text", 2);

    [Fact]
    public void Apns_puts_title_and_body_in_the_alert_dictionary_and_a_plain_alert_string_without_a_title()
    {
        var aps = JsonDocument.Parse(ApnsPayload.Build(WithTitle)!).RootElement.GetProperty("aps");
        Assert.Equal("The title", aps.GetProperty("alert").GetProperty("title").GetString());
        Assert.Equal("the text", aps.GetProperty("alert").GetProperty("body").GetString());
        Assert.True(ApnsPayload.IsAlert(new PushMessage(null) { Title = "only a title" }));

        var plain = JsonDocument.Parse(ApnsPayload.Build(WithoutTitle)!).RootElement.GetProperty("aps");
        Assert.Equal(JsonValueKind.String, plain.GetProperty("alert").ValueKind);
    }

    [Fact]
    public void Fcm_puts_the_title_in_the_notification()
    {
        var withTitle = FcmSender.CreateBody("tok", WithTitle)["message"]!;
        Assert.Equal("The title", withTitle["notification"]!["title"]!.ToString());
        Assert.Equal("the text", withTitle["notification"]!["body"]!.ToString());
        Assert.Null(FcmSender.CreateBody("tok", WithoutTitle)["message"]!["notification"]!["title"]);
        Assert.Equal("only", FcmSender.CreateBody("tok", new PushMessage(null) { Title = "only" })["message"]!["notification"]!["title"]!.ToString());
    }

    [Fact]
    public void Web_push_puts_the_title_in_the_payload()
    {
        Assert.Equal("The title", WebPushSender.CreatePayload(WithTitle)["title"]!.ToString());
        Assert.False(WebPushSender.CreatePayload(WithoutTitle).ContainsKey("title"));
    }
}
