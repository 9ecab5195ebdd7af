using System.Security.Cryptography;
using Backend.Files;

namespace Backend.Tests.Files;

/// <summary>What every <see cref="IFileStore"/> does, run on each store (<see cref="LocalFileStoreContractTests"/>,
/// <see cref="S3FileStoreContractTests"/>): round trips, replace, missing files, listing nested folders, the path
/// rules, atomic replacement, large streamed files.</summary>
public abstract class FileStoreContract : IAsyncLifetime
{
    private IFileStore? _store;

    /// <summary>The store under test (each test gets an empty one).</summary>
    protected IFileStore Store => _store ?? throw new InvalidOperationException("not initialized");

    /// <summary>Creates an empty store (or skips, or under CI fails, when its server is missing).</summary>
    protected abstract Task<IFileStore> CreateStoreAsync();

    /// <summary>Removes what the test left.</summary>
    protected abstract Task DeleteStoreAsync();

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await DeleteStoreAsync();
        GC.SuppressFinalize(this);
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected async Task<byte[]?> Read(string path)
    {
        await using var s = await Store.OpenAsync(path, Ct);
        if (s is null) return null;
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms, Ct);
        return ms.ToArray();
    }

    private async Task<List<FileStoreEntry>> List(string? dir)
    {
        var all = new List<FileStoreEntry>();
        await foreach (var e in Store.ListAsync(dir, Ct)) all.Add(e);
        return [.. all.OrderBy(e => e.Path, StringComparer.Ordinal)];
    }

    private static byte[] Bytes(int n, int seed) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 7 + seed))];

    [Fact]
    public async Task Put_open_exists_delete_round_trip()
    {
        var bytes = Bytes(100_000, 1);
        await Store.PutAsync("message/ab/abc.png", bytes, Ct);
        Assert.True(await Store.ExistsAsync("message/ab/abc.png", Ct));
        Assert.Equal(bytes, await Read("message/ab/abc.png"));
        Assert.True(await Store.DeleteAsync("message/ab/abc.png", Ct));
        Assert.False(await Store.ExistsAsync("message/ab/abc.png", Ct));
        Assert.Null(await Read("message/ab/abc.png"));
        Assert.False(await Store.DeleteAsync("message/ab/abc.png", Ct));
    }

    [Fact]
    public async Task GetInfoAsync_tells_the_size_and_write_time_and_null_for_a_missing_file()
    {
        Assert.Null(await Store.GetInfoAsync("info/none.bin", Ct));
        await Store.PutAsync("info/a.bin", Bytes(1234, 3), Ct);
        var info = await Store.GetInfoAsync("info/a.bin", Ct);
        Assert.NotNull(info);
        Assert.Equal("info/a.bin", info.Path);
        Assert.Equal(1234, info.Length);
        Assert.InRange(info.LastModified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetInfoAsync("../x", Ct));
    }

    [Fact]
    public async Task Missing_files_are_null_false_and_false()
    {
        Assert.Null(await Store.OpenAsync("nope/x.png", Ct));
        Assert.False(await Store.ExistsAsync("nope/x.png", Ct));
        Assert.False(await Store.DeleteAsync("nope/x.png", Ct));
    }

    [Fact]
    public async Task Put_replaces_a_file_from_bytes_or_a_stream()
    {
        await Store.PutAsync("a.bin", new byte[] { 1, 2, 3 }, Ct);
        using (var ms = new MemoryStream([9, 8]))
            await Store.PutAsync("a.bin", ms, Ct);
        Assert.Equal([9, 8], await Read("a.bin"));
        await Store.PutAsync("a.bin", ReadOnlyMemory<byte>.Empty, Ct);
        Assert.Equal(Array.Empty<byte>(), await Read("a.bin"));
        Assert.True(await Store.ExistsAsync("a.bin", Ct));
    }

    [Fact]
    public async Task Put_from_a_stream_stores_what_is_left_of_it()
    {
        using var seekable = new MemoryStream([1, 2, 3, 4, 5]) { Position = 2 };
        await Store.PutAsync("rest.bin", seekable, Ct);
        Assert.Equal([3, 4, 5], await Read("rest.bin"));
        await using var unseekable = new ForwardOnlyStream(Bytes(1000, 3));
        await Store.PutAsync("fwd.bin", unseekable, Ct);
        Assert.Equal(Bytes(1000, 3), await Read("fwd.bin"));
    }

    [Fact]
    public async Task List_finds_every_file_of_nested_folders_and_nothing_else()
    {
        string[] paths = ["a/b/c.txt", "a/b/d.txt", "a/e.txt", "a2/f.txt", "g.txt", "a/b/h/i/j.txt", "a/k.txt"];
        for (var i = 0; i < paths.Length; i++) await Store.PutAsync(paths[i], Bytes(i + 1, i), Ct);
        var all = await List(null);
        Assert.Equal(paths.Order(StringComparer.Ordinal), all.Select(e => e.Path));
        Assert.Equal(Enumerable.Range(1, paths.Length).Select(i => (long)i), paths.Select(p => all.Single(e => e.Path == p).Length));
        Assert.All(all, e => Assert.InRange(e.LastModified, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Equal(all.Select(e => e.Path), (await List("")).Select(e => e.Path));
        Assert.Equal(["a/b/c.txt", "a/b/d.txt", "a/b/h/i/j.txt", "a/e.txt", "a/k.txt"], (await List("a")).Select(e => e.Path));
        Assert.Equal(["a/b/c.txt", "a/b/d.txt", "a/b/h/i/j.txt"], (await List("a/b")).Select(e => e.Path));
        Assert.Empty(await List("nope"));
        Assert.Empty(await List("a/b/c.txt"));
        Assert.True(await Store.DeleteAsync("a/b/d.txt", Ct));
        Assert.Equal(["a/b/c.txt", "a/b/h/i/j.txt"], (await List("a/b")).Select(e => e.Path));
    }

    public static TheoryData<string> InvalidPaths => new()
    {
        "../x", "a/../../x", "/etc/passwd", "/x", "a\\b", "..\\x", "a\0b", "", "a//b", "./a", "a/.", "C:x", "a/",
        "x\n", new string('a', FileStorePath.MaxLength + 1),
    };

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task Invalid_paths_are_refused_by_every_method(string path)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(path, new byte[] { 1 }, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutAsync(path, new MemoryStream([1]), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenAsync(path, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(path, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExistsAsync(path, Ct));
        if (path.Length > 0) Assert.ThrowsAny<ArgumentException>(() => Store.ListAsync(path, Ct));
        Assert.Empty(await List(null));
    }

    [Fact]
    public async Task A_large_file_is_streamed_in_and_out()
    {
        // 12 MB from a stream of unknown length: more than one part of the S3 store (5 MiB parts in these tests).
        const int size = 12 * 1024 * 1024 + 12345;
        await using (var src = new ForwardOnlyStream(Bytes(size, 5)))
            await Store.PutAsync("big/file.bin", src, Ct);
        Assert.Equal(SHA256.HashData(Bytes(size, 5)), SHA256.HashData(await Read("big/file.bin") ?? []));
        Assert.Equal(size, (await List("big")).Single().Length);
        // And from a seekable file.
        var temp = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(temp, Bytes(size, 6), Ct);
            await using (var file = File.OpenRead(temp))
                await Store.PutAsync("big/file.bin", file, Ct);
            Assert.Equal(SHA256.HashData(Bytes(size, 6)), SHA256.HashData(await Read("big/file.bin") ?? []));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Fact]
    public async Task A_failed_write_keeps_the_old_file()
    {
        await Store.PutAsync("a.bin", new byte[] { 1, 2, 3 }, Ct);
        // Fails after 6 MB: past the first part of a multipart upload on S3.
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("a.bin", new FailingStream(6 * 1024 * 1024), Ct));
        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("a.bin", new FailingStream(10), Ct));
        Assert.Equal([1, 2, 3], await Read("a.bin"));
        Assert.Equal(["a.bin"], (await List(null)).Select(e => e.Path));
    }

    [Fact]
    public async Task Readers_see_the_old_or_the_whole_new_file_while_it_is_replaced()
    {
        const int size = 256 * 1024;
        byte[] a = [.. Enumerable.Repeat((byte)'a', size)], b = [.. Enumerable.Repeat((byte)'b', size)];
        await Store.PutAsync("r.bin", a, Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++) await Store.PutAsync("r.bin", i % 2 == 0 ? b : a, Ct);
        }, Ct);
        var reads = 0;
        while (!writer.IsCompleted || reads < 3)
        {
            byte[]? got;
            try
            {
                got = await Read("r.bin");
            }
            catch (Exception ex) when (IsDetectedTornRead(ex))
            {
                continue;
            }
            Assert.NotNull(got);
            Assert.Equal(size, got.Length);
            Assert.True(got.All(x => x == got[0]), "a read mixed two versions");
            reads++;
        }
        await writer;
    }

    /// <summary>True for a read that failed because the store's server served a torn object and the client noticed
    /// (an S3 emulator that writes objects in place; S3 itself and MinIO replace atomically): an error, never mixed data.</summary>
    protected virtual bool IsDetectedTornRead(Exception ex) => false;

    /// <summary>A stream that cannot seek nor tell its length.</summary>
    protected sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A forward-only stream that throws <see cref="IOException"/> after <c>after</c> bytes.</summary>
    protected sealed class FailingStream(int after) : Stream
    {
        private int _done;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_done >= after) throw new IOException("broken source");
            var n = Math.Min(buffer.Length, after - _done);
            buffer[..n].Fill(7);
            _done += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>The contract on the local disk.</summary>
public sealed class LocalFileStoreContractTests : FileStoreContract
{
    private readonly string _root = Directory.CreateTempSubdirectory("bkcs-files-contract-").FullName;

    protected override Task<IFileStore> CreateStoreAsync() => Task.FromResult<IFileStore>(new LocalFileStore(Path.Combine(_root, "store")));

    protected override Task DeleteStoreAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
