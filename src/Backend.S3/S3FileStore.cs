using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Backend.Files;
using Microsoft.AspNetCore.StaticFiles;

namespace Backend.S3;

/// <summary>An <see cref="IFileStore"/> on one S3 bucket (Amazon S3, MinIO, s3rver, ...), every file an object whose
/// key is <see cref="Prefix"/> followed by the store path. Paths follow <see cref="FileStorePath"/>, checked before any
/// request. A PUT (and a completed multipart upload) replaces an object at once, so readers see the old or the whole
/// new file; objects get a content type from the path's extension.</summary>
/// <remarks>Uploads stream: a stream whose length is known and at most <see cref="PartSize"/> is sent as it is (one
/// PUT); anything else is read one part at a time into a pooled buffer (at most one part in memory) and sent as one
/// PUT when it fits in one part, else as a multipart upload, aborted when anything fails. See the README for how the
/// store differs from the local one.</remarks>
public sealed class S3FileStore : IFileStore, IDisposable
{
    /// <summary>The smallest part S3 accepts in a multipart upload (except the last one).</summary>
    public const int MinPartSize = 5 * 1024 * 1024;

    /// <summary>The default <see cref="PartSize"/>.</summary>
    public const int DefaultPartSize = 8 * 1024 * 1024;

    /// <summary>The most keys one ListObjectsV2 request returns, the default <see cref="ListPageSize"/>.</summary>
    public const int MaxListPageSize = 1000;

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;

    /// <summary>A store on <paramref name="bucket"/> through <paramref name="client"/> (not disposed by the store),
    /// object keys starting with <paramref name="prefix"/> (empty, or ending with <c>/</c>).</summary>
    public S3FileStore(IAmazonS3 client, string bucket, string? prefix = null)
        : this(client, bucket, prefix, ownsClient: false)
    {
    }

    internal S3FileStore(IAmazonS3 client, string bucket, string? prefix, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        prefix ??= "";
        if (prefix.Length > 0 && (!prefix.EndsWith('/') || !FileStorePath.IsValid(prefix.TrimEnd('/'))))
            throw new ArgumentException($"invalid S3 key prefix \"{prefix}\": a store path followed by '/'", nameof(prefix));
        _client = client;
        Bucket = bucket;
        Prefix = prefix;
        _ownsClient = ownsClient;
    }

    /// <summary>The bucket.</summary>
    public string Bucket { get; }

    /// <summary>What every object key of the store starts with (empty: the whole bucket).</summary>
    public string Prefix { get; }

    /// <summary>Objects asked for per ListObjectsV2 request by <see cref="ListAsync"/> (1 to 1000).</summary>
    public int ListPageSize
    {
        get;
        init => field = value is >= 1 and <= MaxListPageSize ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "1 to 1000");
    } = MaxListPageSize;

    /// <summary>Size of the parts of a multipart upload, and the most a single PUT sends from an unknown-length
    /// stream (at least <see cref="MinPartSize"/>).</summary>
    public int PartSize
    {
        get;
        init => field = value >= MinPartSize ? value : throw new ArgumentOutOfRangeException(nameof(value), value, $"at least {MinPartSize}");
    } = DefaultPartSize;

    /// <summary>The object key of a store path (after checking the path).</summary>
    public string Key(string path) => Prefix + FileStorePath.Validate(path);

    /// <summary>The content type stored with a file: by the path's extension, else <c>application/octet-stream</c>.</summary>
    public static string ContentType(string path) =>
        ContentTypes.TryGetContentType(path ?? "", out var type) ? type : "application/octet-stream";

    /// <inheritdoc />
    public async Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        var key = Key(path);
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek && content.Length - content.Position <= PartSize)
        {
            // Known length: the SDK sends the stream as it is (and reads it again for the payload hash when it needs to).
            await PutObjectAsync(key, path, content, cancellationToken);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(PartSize);
        try
        {
            var n = await ReadPartAsync(content, buffer, cancellationToken);
            if (n < PartSize)
            {
                using var whole = new MemoryStream(buffer, 0, n, writable: false);
                await PutObjectAsync(key, path, whole, cancellationToken);
                return;
            }
            await MultipartAsync(key, path, content, buffer, n, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public async Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var key = Key(path);
        if (content.Length <= PartSize)
        {
            using var stream = AsStream(content);
            await PutObjectAsync(key, path, stream, cancellationToken);
            return;
        }
        await using var all = AsStream(content);
        await PutAsync(path, all, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = Key(path);
        try
        {
            var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, cancellationToken);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>S3 deletes without saying whether there was an object: a HEAD first tells, so false may be wrong when
    /// another writer races the call (the object is gone afterwards either way).</remarks>
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = Key(path);
        if (!await ExistsKeyAsync(key, cancellationToken)) return false;
        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, cancellationToken);
        return true;
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        ExistsKeyAsync(Key(path), cancellationToken);

    /// <inheritdoc />
    /// <remarks>One HEAD request; <see cref="FileStoreEntry.Version"/> is the object's ETag.</remarks>
    public async Task<FileStoreEntry?> GetInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        var key = Key(path);
        try
        {
            var meta = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, cancellationToken);
            var modified = meta.LastModified is { } t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UnixEpoch;
            return new FileStoreEntry(path, meta.ContentLength, modified) { Version = string.IsNullOrEmpty(meta.ETag) ? null : meta.ETag.Trim('"') };
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>ListObjectsV2 pages of <see cref="ListPageSize"/> keys, read as the listing goes; keys that are not
    /// store paths (folder markers ending with <c>/</c>, <c>a//b</c>, ...) are left out.</remarks>
    public IAsyncEnumerable<FileStoreEntry> ListAsync(string? directory = null, CancellationToken cancellationToken = default)
    {
        // Checked now, not at the first read: a bad folder is the caller's error.
        var prefix = string.IsNullOrEmpty(directory) ? Prefix : Prefix + FileStorePath.Validate(directory) + "/";
        return List(prefix, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }

    private async IAsyncEnumerable<FileStoreEntry> List(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, MaxKeys = ListPageSize };
        while (true)
        {
            var page = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var o in page.S3Objects ?? [])
            {
                if (o.Key is not { } key || !key.StartsWith(Prefix, StringComparison.Ordinal)) continue;
                var path = key[Prefix.Length..];
                if (!FileStorePath.IsValid(path)) continue;
                var modified = o.LastModified is { } t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue;
                yield return new FileStoreEntry(path, o.Size ?? 0, modified);
            }
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken)) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    private async Task<bool> ExistsKeyAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (IsNoSuchKey(ex))
        {
            return false;
        }
    }

    // A missing object is 404 NoSuchKey; a HEAD's 404 has no body, so no code. NoSuchBucket stays an error.
    private static bool IsNoSuchKey(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is null or "" or "NoSuchKey" or "NotFound";

    private Task<PutObjectResponse> PutObjectAsync(string key, string path, Stream content, CancellationToken cancellationToken) =>
        _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = content,
            AutoCloseStream = false,
            AutoResetStreamPosition = false,
            ContentType = ContentType(path),
            // aws-chunked streaming signatures are not understood by every S3-compatible server (s3rver); the payload
            // is hashed instead, which the SDK does on a seekable stream (every stream reaching here is one).
            UseChunkEncoding = false,
        }, cancellationToken);

    private async Task MultipartAsync(string key, string path, Stream content, byte[] buffer, int first, CancellationToken cancellationToken)
    {
        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = Bucket,
            Key = key,
            ContentType = ContentType(path),
        }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            var n = first;
            for (var number = 1; n > 0; number++)
            {
                using (var part = new MemoryStream(buffer, 0, n, writable: false))
                {
                    var response = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = Bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = number,
                        InputStream = part,
                        PartSize = n,
                        UseChunkEncoding = false,
                    }, cancellationToken);
                    parts.Add(new PartETag(number, response.ETag));
                }
                n = n < PartSize ? 0 : await ReadPartAsync(content, buffer, cancellationToken);
            }
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None);
            }
            catch (AmazonS3Exception)
            {
                // best effort: a bucket lifecycle rule removes abandoned uploads
            }
            throw;
        }
    }

    // Fills buffer[0..PartSize) from the stream; less only at its end.
    private async Task<int> ReadPartAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var n = 0;
        while (n < PartSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(n, PartSize - n), cancellationToken);
            if (read == 0) break;
            n += read;
        }
        return n;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> content) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    /// <summary>The body of a GET; disposing it ends the response (and frees its connection).</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
