using Backend.Files;

namespace Backend.Tests.Files;

/// <summary>The local file store: round trips, replace, delete, atomic writes, and every way a path could try to
/// leave the root.</summary>
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
