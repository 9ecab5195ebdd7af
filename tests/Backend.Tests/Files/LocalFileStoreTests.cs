using Backend.Files;

namespace Backend.Tests.Files;

/// <summary>The local file store: round trips, replace, delete, atomic writes, listing, and every way a path (or a
/// symbolic link) could try to leave the root.</summary>
public sealed class LocalFileStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bkcs-files-").FullName;
    private readonly string _outside;
    private readonly LocalFileStore _store;

    public LocalFileStoreTests()
    {
        _store = new LocalFileStore(Path.Combine(_root, "images"));
        _outside = Path.Combine(_root, "secret.txt");
        File.WriteAllText(_outside, "outside");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<byte[]?> Read(string path)
    {
        await using var s = await _store.OpenAsync(path, Ct);
        if (s is null) return null;
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms, Ct);
        return ms.ToArray();
    }

    [Fact]
    public async Task Put_open_and_delete_round_trip_bytes()
    {
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        await _store.PutAsync("message/ab/abc.png", bytes, Ct);
        Assert.True(await _store.ExistsAsync("message/ab/abc.png", Ct));
        Assert.Equal(bytes, await Read("message/ab/abc.png"));
        Assert.True(await _store.DeleteAsync("message/ab/abc.png", Ct));
        Assert.False(await _store.ExistsAsync("message/ab/abc.png", Ct));
        Assert.Null(await Read("message/ab/abc.png"));
        Assert.False(await _store.DeleteAsync("message/ab/abc.png", Ct));
    }

    [Fact]
    public async Task Put_stream_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        await _store.PutAsync("a.bin", new byte[] { 1, 2, 3 }, Ct);
        using (var ms = new MemoryStream([9, 8]))
            await _store.PutAsync("a.bin", ms, Ct);
        Assert.Equal([9, 8], await Read("a.bin"));
        Assert.Equal(["a.bin"], Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        await _store.PutAsync("a.bin", new byte[] { 1, 2, 3 }, Ct);
        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync("a.bin", new FailingStream(), Ct));
        Assert.Equal([1, 2, 3], await Read("a.bin"));
        Assert.Single(Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task With_concurrent_writers_readers_see_whole_files_only()
    {
        var a = Enumerable.Repeat((byte)'a', 200_000).ToArray();
        var b = Enumerable.Repeat((byte)'b', 300_000).ToArray();
        await _store.PutAsync("x.bin", a, Ct);
        var writers = Enumerable.Range(0, 20).Select(i => _store.PutAsync("x.bin", i % 2 == 0 ? b : a, Ct));
        var readers = Enumerable.Range(0, 20).Select(async _ =>
        {
            var got = await Read("x.bin");
            Assert.NotNull(got);
            Assert.True(got.SequenceEqual(a) || got.SequenceEqual(b), $"partial file of {got.Length} bytes");
        });
        await Task.WhenAll(writers.Concat(readers));
        Assert.Single(Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_missing_file_is_null_and_a_directory_is_not_a_file()
    {
        Assert.Null(await Read("nope.png"));
        await _store.PutAsync("dir/file.png", new byte[] { 1 }, Ct);
        Assert.Null(await Read("dir"));
        Assert.False(await _store.ExistsAsync("dir", Ct));
        Assert.False(await _store.DeleteAsync("dir", Ct));
    }

    public static TheoryData<string> BadPaths => new()
    {
        "", "..", ".", "../secret.txt", "../../etc/passwd", "a/../../secret.txt", "a/../b", "./a", "a/./b", "a//b", "a/",
        "/etc/passwd", "/tmp/x", "..\\secret.txt", "a\\b", "a\0b", "a.png\0.txt", "c:secret", "C:\\Windows\\win.ini",
        "a\nb", "a\tb", new string('a', FileStorePath.MaxLength + 1),
    };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task Traversal_and_malformed_paths_are_refused_and_touch_nothing(string path)
    {
        Assert.False(FileStorePath.IsValid(path));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(path, new byte[] { 1 }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenAsync(path, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(path, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ExistsAsync(path, Ct));
        Assert.Equal("outside", File.ReadAllText(_outside));
        Assert.Empty(Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_null_path_is_refused()
    {
        Assert.False(FileStorePath.IsValid(null));
        Assert.Throws<ArgumentException>(() => FileStorePath.Validate(null));
    }

    [Theory]
    [InlineData("a.png")]
    [InlineData("message/ab/abcdef.jpg")]
    [InlineData("..a/b..")]
    [InlineData(".hidden")]
    [InlineData("a b/ü.gif")]
    public async Task Ordinary_paths_work(string path)
    {
        Assert.True(FileStorePath.IsValid(path));
        await _store.PutAsync(path, new byte[] { 5 }, Ct);
        Assert.Equal([5], await Read(path));
        Assert.StartsWith(_store.Root + Path.DirectorySeparatorChar, _store.FullPath(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_root_ending_in_a_separator_a_sibling_with_the_same_prefix_is_outside()
    {
        // "images-evil" starts with "images": the check must compare whole directory names.
        var store = new LocalFileStore(Path.Combine(_root, "images") + Path.DirectorySeparatorChar);
        Directory.CreateDirectory(Path.Combine(_root, "images-evil"));
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("../images-evil/x", new byte[] { 1 }, Ct));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "images-evil")));
    }

    private async Task<List<FileStoreEntry>> List(string? directory = null)
    {
        var files = new List<FileStoreEntry>();
        await foreach (var f in _store.ListAsync(directory, Ct)) files.Add(f);
        return [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Listing_gives_every_file_at_any_depth_with_its_store_path_size_and_time()
    {
        Assert.Empty(await List()); // no root yet is no file
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);
        await _store.PutAsync("top.png", new byte[] { 1, 2, 3 }, Ct);
        await _store.PutAsync("message/ab/abc.png", new byte[] { 1 }, Ct);
        await _store.PutAsync("message/cd/.hidden", new byte[] { 1, 2 }, Ct);
        await _store.PutAsync("a b/ü.gif", new byte[] { 1 }, Ct);
        var files = await List();
        Assert.Equal(["a b/ü.gif", "message/ab/abc.png", "message/cd/.hidden", "top.png"], files.Select(f => f.Path));
        Assert.Equal([1L, 1, 2, 3], files.Select(f => f.Length));
        Assert.All(files, f => Assert.InRange(f.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(2)));
        var old = DateTime.UtcNow.AddDays(-3);
        File.SetLastWriteTimeUtc(_store.FullPath("top.png"), old);
        Assert.Equal(new DateTimeOffset(old), (await List()).Single(f => f.Path == "top.png").LastModified);
        // Every listed path works with the other methods.
        foreach (var f in files) Assert.True(await _store.ExistsAsync(f.Path, Ct), f.Path);
    }

    [Fact]
    public async Task Listing_a_folder_gives_only_its_files_and_a_missing_folder_none()
    {
        await _store.PutAsync("message/ab/1.png", new byte[] { 1 }, Ct);
        await _store.PutAsync("message/2.png", new byte[] { 1 }, Ct);
        await _store.PutAsync("messages/3.png", new byte[] { 1 }, Ct);
        await _store.PutAsync("icon/4.png", new byte[] { 1 }, Ct);
        Assert.Equal(["message/2.png", "message/ab/1.png"], (await List("message")).Select(f => f.Path));
        Assert.Equal(["message/ab/1.png"], (await List("message/ab")).Select(f => f.Path));
        Assert.Equal(4, (await List("")).Count);
        Assert.Empty(await List("nothing"));
        Assert.Empty(await List("message/2.png")); // a file is not a folder
    }

    // "" is not a path but, for a listing, the whole store.
    public static TheoryData<string> BadFolders => [.. BadPaths.Select(p => (string)p.Data).Where(p => p.Length > 0)];

    [Theory]
    [MemberData(nameof(BadFolders))]
    public void Listing_a_malformed_folder_is_refused_at_the_call(string path) =>
        Assert.Throws<ArgumentException>(() => _store.ListAsync(path, Ct));

    [Fact]
    public async Task Listing_never_follows_a_link_out_of_the_root_nor_shows_writes_in_progress()
    {
        // Outside the root: a folder of files and a file, reached from inside through symbolic links.
        var outsideDir = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(Path.Combine(outsideDir, "deep"));
        File.WriteAllText(Path.Combine(outsideDir, "deep", "x.png"), "x");
        await _store.PutAsync("message/ab/real.png", new byte[] { 1 }, Ct);
        Directory.CreateSymbolicLink(_store.FullPath("message/linked"), outsideDir);
        File.CreateSymbolicLink(_store.FullPath("message/ab/link.png"), _outside);
        Directory.CreateSymbolicLink(_store.FullPath("alias"), _store.FullPath("message"));
        // A temporary file as PutAsync names it, left by a write that died.
        File.WriteAllText(_store.FullPath("message/ab/.real.png.0123456789abcdef0123456789abcdef.tmp"), "partial");

        Assert.Equal(["message/ab/real.png"], (await List()).Select(f => f.Path));
        Assert.Equal(["message/ab/real.png"], (await List("message")).Select(f => f.Path));
        Assert.Empty(await List("message/linked"));
        Assert.Empty(await List("message/linked/deep"));
        Assert.Empty(await List("alias"));
        Assert.Equal("outside", File.ReadAllText(_outside));
    }

    [Fact]
    public async Task A_store_that_does_not_implement_listing_says_so()
    {
        IFileStore store = new ForwardingStore(_store);
        await _store.PutAsync("a.png", new byte[] { 1 }, Ct);
        var ex = Assert.Throws<NotSupportedException>(() => store.ListAsync("message", Ct));
        Assert.Contains(nameof(ForwardingStore), ex.Message, StringComparison.Ordinal);
        Assert.True(await store.ExistsAsync("a.png", Ct)); // the rest works as before
    }

    /// <summary>A store written against the interface before it could list (as a third party's is): it implements the
    /// other members only.</summary>
    private sealed class ForwardingStore(IFileStore inner) : IFileStore
    {
        public Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default) => inner.PutAsync(path, content, cancellationToken);
        public Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.PutAsync(path, content, cancellationToken);
        public Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default) => inner.OpenAsync(path, cancellationToken);
        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => inner.ExistsAsync(path, cancellationToken);
    }

    private sealed class FailingStream : Stream
    {
        private int _reads;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_reads++ > 0) throw new IOException("disk gone");
            buffer[offset] = 42;
            return 1;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_reads++ > 0) throw new IOException("disk gone");
            buffer.Span[0] = 42;
            return ValueTask.FromResult(1);
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
