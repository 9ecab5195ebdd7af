using System.Text.Json;
using Backend.Api.Messages;
using Backend.Data;
using Backend.Files;
using Backend.Hosting;
using Backend.Jobs;
using Backend.Tests.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Jobs;

/// <summary>The built-in job <c>cleanup-images</c> on a real app (the test run's database pool, SQLite by default) and a
/// real <see cref="LocalFileStore"/> in a temporary home: message images a box row refers to are kept (inbox, archive,
/// sent), orphans younger than the age are kept, older ones are deleted, and nothing else (other folders of the store,
/// writes in progress, links, files outside the images directory) is touched. A store that cannot list fails the run
/// and deletes nothing.</summary>
public sealed class MessageImageCleanupTests : IAsyncLifetime
{
    private static readonly byte[] PngBytes = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    private readonly string _home = BackendServer.CreateHome();
    private BackendApplication? _app;

    private string Images => Path.Combine(_home, "images");

    private BackendApplication App => _app!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        BackendServer.DeleteHome(_home);
    }

    private async Task<BackendApplication> StartAsync(IFileStore? store = null)
    {
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-images-dir", Images, .. BackendServer.PoolArgs])
            .AddPostgres().AddMySql().AddDynamoDb().AddRedis().AddLmdb();
        if (store is not null) builder.Services.AddSingleton(store);
        _app = builder.Build();
        await _app.Db.InitAsync(Ct);
        return _app;
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private string FileOf(string path) => Path.Combine(Images, path.Replace('/', Path.DirectorySeparatorChar));

    private static void Age(string file, TimeSpan age) => File.SetLastWriteTimeUtc(file, DateTime.UtcNow - age);

    private Task<string?> RunJob(string args) =>
        App.Services.GetRequiredService<JobExecutor>().RunAsync(MessageImageCleanup.JobName, "test-" + NewId(), JsonDocument.Parse(args).RootElement.Clone(), Ct);

    private async Task<(DbRow Sent, string Icon)> Message(string from, string to, bool noSent = false)
    {
        var sent = await App.Services.GetRequiredService<MessageStore>().AddAsync(from, to, new DbRow { ["msg"] = "hi" }, MessageImage.FromBytes(PngBytes), noSent);
        return (sent, sent.GetString("icon")!);
    }

    private static DbRow InboxKeys(DbRow sent) =>
        new() { ["id"] = sent.GetString("recipient"), ["mkey"] = MessageTables.Key(sent.GetLong("mtime")!.Value, sent.GetString("id")!) };

    [Fact]
    public async Task Old_orphans_are_deleted_while_referenced_and_young_images_and_everything_else_stay()
    {
        var app = await StartAsync();
        var db = app.Db;
        var store = app.Services.GetRequiredService<MessageStore>();
        var files = app.Services.GetRequiredService<IFileStore>();
        // One image referred to from each box only.
        var (_, inInbox) = await Message(NewId(), NewId(), noSent: true);
        var (toArchive, inArchive) = await Message(NewId(), NewId(), noSent: true);
        await store.ArchiveAsync((await db.GetAsync(MessageTables.Inbox, InboxKeys(toArchive), Ct))!);
        var (sentOnly, inSent) = await Message(NewId(), NewId());
        await db.DelAsync(MessageTables.Inbox, InboxKeys(sentOnly), Ct);
        // Orphans: a message whose rows went behind the API's back (as when a process dies between the writes), and a
        // file no row ever named; one young orphan (an upload whose rows are not written yet).
        var (lost, orphan) = await Message(NewId(), NewId());
        await db.DelAsync(MessageTables.Inbox, InboxKeys(lost), Ct);
        await db.DelAsync(MessageTables.Sent, new DbRow { ["id"] = lost["id"], ["mkey"] = lost["mkey"] }, Ct);
        const string never = "message/zz/never-named.png", young = "message/yy/young.png", otherFolder = "icon/ab/old.png";
        await files.PutAsync(never, PngBytes, Ct);
        await files.PutAsync(young, PngBytes, Ct);
        // Not message images, as old: another folder of the store and a write in progress (never listed).
        await files.PutAsync(otherFolder, PngBytes, Ct);
        var temp = FileOf("message/ab/.x.png.0123456789abcdef0123456789abcdef.tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        await File.WriteAllBytesAsync(temp, PngBytes, Ct);
        // Outside the images directory: a file next to it, and a folder and a file reached through links inside.
        var outside = Path.Combine(_home, "outside");
        Directory.CreateDirectory(Path.Combine(outside, "ab"));
        var outsideFile = Path.Combine(outside, "ab", "secret.png");
        var sibling = Path.Combine(_home, "images.png");
        await File.WriteAllBytesAsync(outsideFile, PngBytes, Ct);
        await File.WriteAllBytesAsync(sibling, PngBytes, Ct);
        var linkedDir = FileOf("message/linked");
        var linkedFile = FileOf("message/zz/linked.png");
        Directory.CreateSymbolicLink(linkedDir, outside);
        File.CreateSymbolicLink(linkedFile, outsideFile);

        var old = TimeSpan.FromHours(48);
        foreach (var path in new[] { inInbox, inArchive, inSent, orphan, never, otherFolder }) Age(FileOf(path), old);
        foreach (var file in new[] { temp, outsideFile, sibling }) Age(file, old);

        var result = await app.Services.GetRequiredService<MessageImageCleanup>().RunAsync(TimeSpan.FromHours(24), NullLogger.Instance, Ct);
        Assert.Equal(new MessageImageCleanupResult(Listed: 6, Old: 5, Referenced: 3, Deleted: 2, Failed: 0), result);
        foreach (var path in new[] { inInbox, inArchive, inSent, young, otherFolder }) Assert.True(File.Exists(FileOf(path)), path + " was deleted");
        Assert.False(File.Exists(FileOf(orphan)));
        Assert.False(File.Exists(FileOf(never)));
        Assert.True(File.Exists(temp));
        Assert.Equal(PngBytes, await File.ReadAllBytesAsync(outsideFile, Ct));
        Assert.Equal(PngBytes, await File.ReadAllBytesAsync(sibling, Ct));
        Assert.Equal(outside, new DirectoryInfo(linkedDir).LinkTarget);
        Assert.Equal(outsideFile, new FileInfo(linkedFile).LinkTarget);
        // The kept images are still served.
        Assert.NotNull(await store.OpenImageAsync(toArchive.GetString("recipient")!, toArchive.GetString("id")!, toArchive.GetLong("mtime")!.Value, null, Ct));

        // The registered job does the same: nothing left to delete at 24 h; with "hours": 1 the young orphan, once 2 h old.
        Assert.Null(await RunJob("{}"));
        Assert.True(File.Exists(FileOf(young)));
        Age(FileOf(young), TimeSpan.FromHours(2));
        Assert.Null(await RunJob("""{"hours":1}"""));
        Assert.False(File.Exists(FileOf(young)));
        foreach (var path in new[] { inInbox, inArchive, inSent, otherFolder }) Assert.True(File.Exists(FileOf(path)), path + " was deleted");
        Assert.Equal(PngBytes, await File.ReadAllBytesAsync(outsideFile, Ct));
    }

    [Fact]
    public async Task A_store_that_cannot_list_fails_the_run_and_deletes_nothing()
    {
        await StartAsync(new NoListingStore(new LocalFileStore(Images)));
        var files = App.Services.GetRequiredService<IFileStore>();
        Assert.IsType<NoListingStore>(files);
        await files.PutAsync("message/ab/orphan.png", PngBytes, Ct);
        Age(FileOf("message/ab/orphan.png"), TimeSpan.FromDays(30));
        var error = await RunJob("{}");
        Assert.NotNull(error);
        Assert.StartsWith("NotSupportedException: cleanup-images: the file store (NoListingStore) cannot list its files", error, StringComparison.Ordinal);
        Assert.Contains("nothing was deleted", error, StringComparison.Ordinal);
        Assert.True(File.Exists(FileOf("message/ab/orphan.png")));
    }

    [Theory]
    [InlineData("""{"hours":0}""")]
    [InlineData("""{"hours":-5}""")]
    [InlineData("""{"hours":"24"}""")]
    [InlineData("""{"hours":1.5}""")]
    [InlineData("""{"hours":876001}""")]
    public async Task A_bad_age_fails_the_run_before_anything_is_read(string args)
    {
        await StartAsync();
        var files = App.Services.GetRequiredService<IFileStore>();
        await files.PutAsync("message/ab/orphan.png", PngBytes, Ct);
        Age(FileOf("message/ab/orphan.png"), TimeSpan.FromDays(30));
        var error = await RunJob(args);
        Assert.Equal("ArgumentException: \"hours\" must be an integer between 1 and 876000", error);
        Assert.True(File.Exists(FileOf("message/ab/orphan.png")));
    }

    [Fact]
    public async Task Bkcs_run_job_cleanup_images_records_the_run_and_logs_the_counts()
    {
        var orphan = FileOf("message/ab/orphan.png");
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, PngBytes, Ct);
        Age(orphan, TimeSpan.FromDays(2));
        var young = FileOf("message/cd/young.png");
        Directory.CreateDirectory(Path.GetDirectoryName(young)!);
        await File.WriteAllBytesAsync(young, PngBytes, Ct);

        // -images-dir left at its default: the home's images/.
        var run = await BackendServer.RunCommandAsync(["run-job", "cleanup-images", "-home", _home, "-log", "info", .. BackendServer.PoolArgs]);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("cleanup-images: 2 message images, 1 older than 24 h: 0 still in a box, 1 orphans deleted, 0 could not be deleted", run.Stdout + run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(young));

        await using var db = JobsDb.Open(_home, BackendServer.PoolArgs);
        var row = Assert.Single(await db.RunsAsync(r => r.GetString("name") == "cleanup-images" && run.Stdout.Contains(r.GetString("id")!, StringComparison.Ordinal)));
        Assert.Equal("ok", row.GetString("status"));
        Assert.Equal("cli", row.GetString("type"));
        Assert.StartsWith(Environment.MachineName + ":", row.GetString("node"), StringComparison.Ordinal);
    }

    /// <summary>A store that implements the interface as it was before listing (a third party's, say).</summary>
    private sealed class NoListingStore(IFileStore inner) : IFileStore
    {
        public Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default) => inner.PutAsync(path, content, cancellationToken);
        public Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.PutAsync(path, content, cancellationToken);
        public Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default) => inner.OpenAsync(path, cancellationToken);
        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => inner.ExistsAsync(path, cancellationToken);
    }
}
