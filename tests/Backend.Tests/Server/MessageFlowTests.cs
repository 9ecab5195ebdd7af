using System.Text.Json.Nodes;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>The messages API flow (README "messages", compat-notes.md "Messages"): inbox, archive, sent box, filters,
/// paging and deletes. Every test uses fresh accounts: external pools share their tables across runs.</summary>
public sealed class MessageFlowTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static long Mtime(JsonNode? row) => row!["mtime"]!.GetValue<long>();

    /// <summary>Messages of different senders (or to different recipients) in one millisecond sort by account id;
    /// where a test expects send order it lets the clock move on.</summary>
    private static Task Pause() => Task.Delay(5, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Add_arrives_in_the_inbox_with_sender_numeric_mtime_and_text()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var added = await Send(ca, b.Id, "Hi, how r u?");
        Assert.Equal(a.Id, added["sender"]!.ToString());
        Assert.Equal(b.Id, added["recipient"]!.ToString());
        Assert.Equal("Hi, how r u?", added["msg"]!.ToString());
        Assert.InRange(Mtime(added), before - 5000, before + 60_000);
        Assert.Null(added["icon"]);

        var r = await cb.Get("/message/get");
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Data)!.AsObject();
        Assert.Equal(a.Id, row["sender"]!.ToString());
        Assert.Equal("Hi, how r u?", row["msg"]!.ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, row["mtime"]!.GetValueKind());
        Assert.Equal(Mtime(added), Mtime(row));
        Assert.Null(row["mkey"]);
        Assert.Equal("", r.NextToken);
        // The sender's own inbox stays empty.
        Assert.Empty((await ca.Get("/message/get")).Data);
    }

    [Fact]
    public async Task Messages_flow_from_inbox_to_archive()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        var m1 = await Send(ca, b.Id, "one");
        var m2 = await Send(ca, b.Id, "two");
        // Same sender and recipient: a message in the same millisecond moves to the next one.
        Assert.True(Mtime(m1) < Mtime(m2), $"{Mtime(m1)} !< {Mtime(m2)}");

        var archived = await cb.Get("/message/archive", ("sender", a.Id), ("mtime", Mtime(m1).ToString()));
        ApiAssert.Ok(archived);
        Assert.Equal("one", archived.Str("msg"));
        Assert.Equal(["two"], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["one"], (await Box(cb, "/message/get/archive")).Select(x => x["msg"]!.ToString()));

        // Archiving again: it is no longer new.
        ApiAssert.Error(await cb.Get("/message/archive", ("sender", a.Id), ("mtime", Mtime(m1).ToString())), 404);

        // _archive=1 returns the rows exactly as without it, and moves them.
        var plain = await cb.Get("/message/get");
        var moving = await cb.Get("/message/get", ("_archive", "1"));
        ApiAssert.Ok(moving);
        Assert.Equal(plain.Data.ToJsonString(), moving.Data.ToJsonString());
        Assert.Empty((await cb.Get("/message/get")).Data);
        Assert.Equal(["one", "two"], (await Box(cb, "/message/get/archive")).Select(x => x["msg"]!.ToString()));

        // Deleting from the archive by sender and mtime, then by sender.
        var del = await cb.Get("/message/del/archive", ("sender", a.Id), ("mtime", Mtime(m2).ToString()));
        ApiAssert.Ok(del);
        Assert.Equal(1, del.Object["count"]!.GetValue<int>());
        Assert.Equal(["one"], (await Box(cb, "/message/get/archive")).Select(x => x["msg"]!.ToString()));
        ApiAssert.Ok(await cb.Get("/message/del/archive", ("sender", a.Id)));
        Assert.Empty(await Box(cb, "/message/get/archive"));
        // The sent box is the sender's own: untouched by what the recipient did.
        Assert.Equal(2, (await Box(ca, "/message/get/sent")).Count);
    }

    [Fact]
    public async Task The_sent_box_mirrors_what_was_sent_with_the_recipient()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        var toB = await Send(ca, b.Id, "to b");
        await Pause();
        var toC = await Send(ca, c.Id, "to c");
        await Send(ca, c.Id, "not kept", ("_nosent", "1"));

        var sent = await Box(ca, "/message/get/sent");
        Assert.Equal(["to b", "to c"], sent.Select(x => x["msg"]!.ToString()));
        Assert.Equal([b.Id, c.Id], sent.Select(x => x["recipient"]!.ToString()));
        Assert.All(sent, x => Assert.Equal(a.Id, x["sender"]!.ToString()));
        Assert.Equal([Mtime(toB), Mtime(toC)], sent.Select(x => Mtime(x)));

        var onlyC = await Box(ca, "/message/get/sent", ("recipient", c.Id));
        Assert.Equal(["to c"], onlyC.Select(x => x["msg"]!.ToString()));
        // _nosent still delivered it.
        using var cc = fixture.Client(c);
        Assert.Equal(["to c", "not kept"], (await Box(cc, "/message/get")).Select(x => x["msg"]!.ToString()));

        ApiAssert.Ok(await ca.Get("/message/del/sent", ("recipient", c.Id)));
        Assert.Equal(["to b"], (await Box(ca, "/message/get/sent")).Select(x => x["msg"]!.ToString()));
        ApiAssert.Ok(await ca.Get("/message/del/sent", ("mtime", Mtime(toB).ToString())));
        Assert.Empty(await Box(ca, "/message/get/sent"));
        // The recipients keep their copies.
        Assert.Equal(2, (await Box(cc, "/message/get")).Count);
    }

    [Fact]
    public async Task Get_filters_by_sender_mtime_and_text()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var cc = fixture.Client(c);
        var first = await Send(ca, c.Id, "Hi there");
        await Pause();
        var second = await Send(cb, c.Id, "hello");
        await Pause();
        var third = await Send(ca, c.Id, "Hi again");

        Assert.Equal(["Hi there", "Hi again"], (await Box(cc, "/message/get", ("sender", a.Id))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["hello"], (await Box(cc, "/message/get", ("sender", b.Id))).Select(x => x["msg"]!.ToString()));

        var t = Mtime(second).ToString();
        Assert.Equal(["Hi again"], (await Box(cc, "/message/get", ("mtime", t), ("_ops", "mtime,gt"))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["hello", "Hi again"], (await Box(cc, "/message/get", ("mtime", t), ("_ops", "mtime,ge"))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["Hi there"], (await Box(cc, "/message/get", ("mtime", t), ("_ops", "mtime,lt"))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["Hi there", "hello"], (await Box(cc, "/message/get", ("mtime", t), ("_ops", "mtime,le"))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["hello"], (await Box(cc, "/message/get", ("mtime", t))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["Hi there", "Hi again"], (await Box(cc, "/message/get", ("msg", "Hi"), ("_ops", "msg,begins_with"))).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["Hi again"], (await Box(cc, "/message/get", ("sender", a.Id), ("mtime", Mtime(first).ToString()), ("_ops", "mtime,gt"))).Select(x => x["msg"]!.ToString()));

        // Newest first, and _select trims the reply.
        var desc = await cc.Get("/message/get", ("_desc", "1"), ("_select", "msg,mtime"));
        Assert.Equal(["Hi again", "hello", "Hi there"], desc.Data.Select(x => x!["msg"]!.ToString()));
        Assert.All(desc.Data, x => Assert.Equal(["msg", "mtime"], Accounts.Keys(x)));
        Assert.Equal(Mtime(third), Mtime(desc.Data[0]));
    }

    [Fact]
    public async Task Get_paging_visits_every_message_once()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        for (var i = 0; i < 7; i++) await Send(ca, b.Id, "m" + i);
        var seen = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var r = await cb.Get("/message/get", ("_count", "3"), ("_start", token));
            ApiAssert.Ok(r);
            Assert.True(r.Data.Count <= 3);
            seen.AddRange(r.Data.Select(x => x!["msg"]!.ToString()));
            token = r.NextToken;
            pages++;
        }
        while (token.Length > 0);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => "m" + i), seen);
        Assert.InRange(pages, 3, 4);
    }

    [Fact]
    public async Task Get_with_archive_and_paging_archives_each_page()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        for (var i = 0; i < 5; i++) await Send(ca, b.Id, "m" + i);
        var first = await cb.Get("/message/get", ("_count", "2"), ("_archive", "1"));
        Assert.Equal(["m0", "m1"], first.Data.Select(x => x!["msg"]!.ToString()));
        var second = await cb.Get("/message/get", ("_count", "2"), ("_archive", "1"), ("_start", first.NextToken));
        Assert.Equal(["m2", "m3"], second.Data.Select(x => x!["msg"]!.ToString()));
        Assert.Equal(["m4"], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
        Assert.Equal(["m0", "m1", "m2", "m3"], (await Box(cb, "/message/get/archive")).Select(x => x["msg"]!.ToString()));
    }

    [Fact]
    public async Task Get_with_trash_deletes_the_returned_messages()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var cb = fixture.Client(b);
        using var ca = fixture.Client(a);
        using var cc = fixture.Client(c);
        await Send(ca, b.Id, "from a");
        await Send(cc, b.Id, "from c");
        var r = await cb.Get("/message/get", ("sender", a.Id), ("_trash", "1"));
        Assert.Equal(["from a"], r.Data.Select(x => x!["msg"]!.ToString()));
        Assert.Equal(["from c"], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
        Assert.Empty(await Box(cb, "/message/get/archive"));
    }

    [Fact]
    public async Task Del_by_sender_or_mtime_deletes_only_those()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        var c = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        using var cc = fixture.Client(c);
        var m1 = await Send(ca, c.Id, "a1");
        await Send(ca, c.Id, "a2");
        await Pause();
        await Send(cb, c.Id, "b1");
        var one = await cc.Get("/message/del", ("mtime", Mtime(m1).ToString()));
        ApiAssert.Ok(one);
        Assert.Equal(1, one.Object["count"]!.GetValue<int>());
        Assert.Equal(["a2", "b1"], (await Box(cc, "/message/get")).Select(x => x["msg"]!.ToString()));
        var bySender = await cc.Get("/message/del", ("sender", a.Id));
        Assert.Equal(1, bySender.Object["count"]!.GetValue<int>());
        Assert.Equal(["b1"], (await Box(cc, "/message/get")).Select(x => x["msg"]!.ToString()));
        var none = await cc.Get("/message/del", ("sender", a.Id));
        Assert.Equal(0, none.Object["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Details_add_the_senders_public_columns()
    {
        var a = await fixture.AddAccount(("alias", "Alice Pub"), ("email", "alice-private@example.com"));
        var b = await fixture.AddAccount(("alias", "Bob Pub"), ("email", "bob-private@example.com"));
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        await Send(ca, b.Id, "hello bob");
        var r = await cb.Get("/message/get", ("_details", "1"));
        var row = Assert.Single(r.Data)!;
        Assert.Equal("Alice Pub", row["alias"]!.ToString());
        Assert.Equal(a.Id, row["sender"]!.ToString());
        Assert.Equal(b.Id, row["id"]!.ToString());
        Assert.DoesNotContain("alice-private", r.Body, StringComparison.Ordinal);
        var sent = await ca.Get("/message/get/sent", ("_details", "1"));
        Assert.Equal("Bob Pub", Assert.Single(sent.Data)!["alias"]!.ToString());
        Assert.DoesNotContain("bob-private", sent.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_by_JSON_and_by_form_works()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var ca = fixture.Client(a);
        using var cb = fixture.Client(b);
        ApiAssert.Ok(await ca.PostJson("/message/add", new JsonObject { ["id"] = b.Id, ["msg"] = "json ünïcødé 😀" }));
        ApiAssert.Ok(await ca.PostForm("/message/add", ("id", b.Id), ("msg", "form & co")));
        Assert.Equal(["json ünïcødé 😀", "form & co"], (await Box(cb, "/message/get")).Select(x => x["msg"]!.ToString()));
    }

    [Fact]
    public async Task Add_reply_carries_message_columns_only_not_the_signature_or_unknown_parameters()
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        client.Defaults = new SignOptions { In = SignatureIn.Query };
        var added = await client.Get("/message/add", ("id", b.Id), ("msg", "hi"), ("nosuchcolumn", "x"));
        ApiAssert.Ok(added);
        Assert.Equal(["id", "msg", "mtime", "recipient", "sender"], Accounts.Keys(added.Json));
    }
}
