using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>Messages sent at the same time all survive (compat-notes.md: two messages from one sender in the same
/// millisecond). A message whose (sender, recipient, mtime) is taken moves to the next millisecond, so every message
/// keeps a distinct mtime and stays addressable by sender and mtime.</summary>
public sealed class MessageConcurrencyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int Count = 40;

    [Fact]
    public async Task Many_messages_from_one_sender_in_parallel_all_survive()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var replies = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => Send(ca, b.Id, "m" + i)));
        var mtimes = replies.Select(r => r["mtime"]!.GetValue<long>()).ToList();
        Assert.Equal(Count, mtimes.Distinct().Count());

        var inbox = await Box(cb, "/message/get");
        Assert.Equal(Enumerable.Range(0, Count).Select(i => "m" + i).Order(), inbox.Select(x => x["msg"]!.ToString()).Order());
        Assert.Equal(mtimes.Order(), inbox.Select(x => x["mtime"]!.GetValue<long>()));
        var sent = await Box(ca, "/message/get/sent");
        Assert.Equal(Count, sent.Count);
        Assert.Equal(mtimes.Order(), sent.Select(x => x["mtime"]!.GetValue<long>()));

        // Each one is addressable by sender and mtime.
        foreach (var mtime in mtimes.Take(5))
            ApiAssert.Ok(await cb.Get("/message/archive", ("sender", a.Id), ("mtime", mtime.ToString())));
        Assert.Equal(Count - 5, (await Box(cb, "/message/get")).Count);
        Assert.Equal(5, (await Box(cb, "/message/get/archive")).Count);
    }

    [Fact]
    public async Task Many_senders_and_recipients_in_parallel_all_survive()
    {
        var senders = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => fixture.AddAccount()));
        var recipients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => fixture.AddAccount()));
        var clients = senders.Select(s => fixture.Client(s)).ToList();
        try
        {
            var sends = from s in Enumerable.Range(0, senders.Length)
                        from r in Enumerable.Range(0, recipients.Length)
                        from i in Enumerable.Range(0, 4)
                        select Send(clients[s], recipients[r].Id, $"{s}-{r}-{i}");
            await Task.WhenAll(sends);
            for (var r = 0; r < recipients.Length; r++)
            {
                using var cr = fixture.Client(recipients[r]);
                var inbox = await Box(cr, "/message/get");
                Assert.Equal(senders.Length * 4, inbox.Count);
                foreach (var s in senders)
                    Assert.Equal(4, inbox.Count(x => x["sender"]!.ToString() == s.Id));
            }
            for (var s = 0; s < senders.Length; s++)
                Assert.Equal(recipients.Length * 4, (await Box(clients[s], "/message/get/sent")).Count);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
