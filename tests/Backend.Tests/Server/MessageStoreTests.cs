using Backend.Api.Messages;
using Backend.Data;
using Backend.Files;
using Backend.Tests.Conformance;

namespace Backend.Tests.Server;

/// <summary><see cref="MessageStore"/> with a stopped clock, on the database pool of this run (the real message
/// tables; every test uses fresh account ids): messages in one millisecond move to the next free one, also when
/// the archive or an old sent copy holds the time, and images are deleted with the last row referring to them.</summary>
public sealed class MessageStoreTests : IAsyncLifetime
{
    private readonly DbTarget _target = BackendServer.Pool switch
    {
        "pgsql" => new PostgresTarget(),
        "mysql" => new MySqlTarget(),
        "dynamodb" => new DynamoDbTarget(),
        "redis" => new RedisTarget(),
        _ => new SqliteTarget(),
    };

    private readonly string _images = Directory.CreateTempSubdirectory("bkcs-msg-images-").FullName;
    private TestDb? _db;
    private readonly StoppedClock _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(1_795_970_730_155));

    private Db Db => _db!.Db;

    private LocalFileStore Files => new(_images);

    private MessageStore Store => new(Db, Files, _clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewId() => Guid.NewGuid().ToString("N");

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async ValueTask InitializeAsync()
    {
        await _target.InitializeAsync();
        _db = await _target.OpenWithPrefixAsync((tables, _) => MessageTables.Describe(tables), "");
    }

    public async ValueTask DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(_images, recursive: true);
    }

    private Task<DbRow> Add(string from, string to, string msg, MessageImage? image = null, bool noSent = false) =>
        Store.AddAsync(from, to, new DbRow { ["msg"] = msg }, image, noSent);

    private Task<List<DbRow>> All(string table, string owner) => Store.FindAsync(table, owner, null, null, Ct);

    [Fact]
    public async Task Sequential_messages_in_the_same_millisecond_take_the_next_milliseconds()
    {
        var (a, b) = (NewId(), NewId());
        var t = Now;
        Assert.Equal(t, (await Add(a, b, "1")).GetLong("mtime"));
        Assert.Equal(t + 1, (await Add(a, b, "2")).GetLong("mtime"));
        Assert.Equal(t + 2, (await Add(a, b, "3", noSent: true)).GetLong("mtime"));
        // Another sender, or another recipient, does not collide.
        Assert.Equal(t, (await Add(NewId(), b, "other sender")).GetLong("mtime"));
        Assert.Equal(t, (await Add(a, NewId(), "other recipient")).GetLong("mtime"));
        var fromA = (await All(MessageTables.Inbox, b)).Where(r => r.GetString("sender") == a).ToList();
        Assert.Equal(["1", "2", "3"], fromA.Select(r => r.GetString("msg")));
        Assert.Equal([t, t + 1, t + 2], fromA.Select(r => r.GetLong("mtime")!.Value));
        Assert.Equal(3, (await All(MessageTables.Sent, a)).Count); // "3" was not kept, "other recipient" was
    }

    [Fact]
    public async Task Parallel_messages_in_the_same_millisecond_each_get_their_own_millisecond()
    {
        var (a, b) = (NewId(), NewId());
        var t = Now;
        var rows = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Add(a, b, "m" + i)));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => t + i), rows.Select(r => r.GetLong("mtime")!.Value).Order());
        Assert.Equal(30, (await All(MessageTables.Inbox, b)).Count);
        Assert.Equal(30, (await All(MessageTables.Sent, a)).Count);
    }

    [Fact]
    public async Task An_archived_message_keeps_its_time_and_a_new_message_moves_on()
    {
        var (a, b) = (NewId(), NewId());
        var t = Now;
        var first = await Add(a, b, "first");
        var inboxRow = await Store.GetAsync(MessageTables.Inbox, b, a, t, Ct);
        await Store.ArchiveAsync(inboxRow!);
        // The inbox key is free again, but (sender, mtime) is still the archived message's.
        var second = await Add(a, b, "second", noSent: true);
        Assert.Equal(t + 1, second.GetLong("mtime"));
        Assert.Equal("first", (await Store.GetAsync(MessageTables.Archive, b, a, t, Ct))!.GetString("msg"));
        Assert.Equal("second", (await Store.GetAsync(MessageTables.Inbox, b, a, t + 1, Ct))!.GetString("msg"));
        Assert.Null(await Store.GetAsync(MessageTables.Inbox, b, a, t, Ct));
        Assert.Equal(t, first.GetLong("mtime"));
    }

    [Fact]
    public async Task An_old_sent_copy_keeps_its_time_and_a_new_message_moves_on()
    {
        var (a, b) = (NewId(), NewId());
        var t = Now;
        await Add(a, b, "first");
        await Store.DeleteAsync(MessageTables.Inbox, (await Store.GetAsync(MessageTables.Inbox, b, a, t, Ct))!);
        var second = await Add(a, b, "second");
        Assert.Equal(t + 1, second.GetLong("mtime"));
        Assert.Equal("first", (await Store.GetAsync(MessageTables.Sent, a, b, t, Ct))!.GetString("msg"));
        Assert.Equal("second", (await Store.GetAsync(MessageTables.Sent, a, b, t + 1, Ct))!.GetString("msg"));
        Assert.Equal(["second"], (await All(MessageTables.Inbox, b)).Select(r => r.GetString("msg")));
    }

    [Fact]
    public async Task An_image_lives_until_the_last_row_referring_to_it_is_deleted()
    {
        var (a, b) = (NewId(), NewId());
        var t = Now;
        var png = MessageTestSupport.Png(500);
        await Add(a, b, "pic", MessageImage.FromBytes(png));
        var icon = (await Store.GetAsync(MessageTables.Inbox, b, a, t, Ct))!.GetString("icon")!;
        Assert.Equal(icon, (await Store.GetAsync(MessageTables.Sent, a, b, t, Ct))!.GetString("icon"));
        Assert.True(await Files.ExistsAsync(icon, Ct));

        await Store.ArchiveAsync((await Store.GetAsync(MessageTables.Inbox, b, a, t, Ct))!);
        Assert.True(await Files.ExistsAsync(icon, Ct));
        await Store.DeleteAsync(MessageTables.Sent, (await Store.GetAsync(MessageTables.Sent, a, b, t, Ct))!);
        Assert.True(await Files.ExistsAsync(icon, Ct));
        var image = await Store.OpenImageAsync(b, a, t, null, Ct);
        Assert.NotNull(image);
        await using (image.Value.Content)
            Assert.Equal("image/png", image.Value.ContentType);
        Assert.Null(await Store.OpenImageAsync(a, a, t, b, Ct));

        await Store.DeleteAsync(MessageTables.Archive, (await Store.GetAsync(MessageTables.Archive, b, a, t, Ct))!);
        Assert.False(await Files.ExistsAsync(icon, Ct));
        Assert.Null(await Store.OpenImageAsync(b, a, t, null, Ct));
    }

    [Fact]
    public async Task A_failed_write_leaves_no_row_and_no_image()
    {
        var (a, b) = (NewId(), NewId());
        // A value the column cannot hold fails the first write: nothing may stay behind.
        var columns = new DbRow { ["msg"] = new string('x', MessageTables.MaxMessageLength + 1) };
        var ex = await Assert.ThrowsAsync<DbException>(() => Store.AddAsync(a, b, columns, MessageImage.FromBytes(MessageTestSupport.Png(300)), false));
        Assert.Equal(400, ex.Status);
        Assert.Empty(await All(MessageTables.Inbox, b));
        Assert.Empty(await All(MessageTables.Sent, a));
        Assert.Empty(Directory.GetFiles(_images, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Keys_sort_by_time_as_text()
    {
        Assert.Equal("001795970730155:abc", MessageTables.Key(1_795_970_730_155, "abc"));
        Assert.True(string.CompareOrdinal(MessageTables.Key(999, "zzz"), MessageTables.Key(1000, "aaa")) < 0);
        Assert.True(string.CompareOrdinal(MessageTables.KeyFloor(1000), MessageTables.Key(1000, "0")) < 0);
        Assert.True(string.CompareOrdinal(MessageTables.Key(1000, "~~~"), MessageTables.KeyFloor(1001)) < 0);
    }

    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
