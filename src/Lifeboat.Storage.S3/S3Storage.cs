using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Lifeboat.Storage.S3;

/// <summary>
/// An <see cref="IStorage"/> over an S3 bucket and key prefix (AWS S3 or an S3-compatible service).
/// Objects are written once: see <see cref="S3NoOverwriteMode"/> for how overwriting is refused.
/// Large objects go up as multipart uploads, which become visible only when completed, so a
/// crashed upload is never listed; <see cref="CleanupTemporaryFilesAsync"/> (run by <c>prune</c>) aborts
/// stale ones, and a lifecycle rule that aborts incomplete multipart uploads is a good second line.
/// </summary>
public sealed class S3Storage : IStorage, IContainerCreation, ITemporaryFileCleanup
{
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly string _root;
    private volatile bool _bucketVerified;

    /// <summary>Opens the bucket described by <paramref name="options"/>; nothing is sent until the first call.</summary>
    public S3Storage(S3StorageOptions options, TimeProvider? timeProvider = null)
        : this(S3ClientFactory.Create(Validate(options)), options, timeProvider)
    {
    }

    internal S3Storage(IAmazonS3 client, S3StorageOptions options, TimeProvider? timeProvider)
    {
        _client = client;
        _options = Validate(options);
        _timeProvider = timeProvider ?? TimeProvider.System;
        _root = options.Prefix.Trim('/') is { Length: > 0 } prefix ? prefix + "/" : "";
        Location = S3RepositoryUrl.Format(options);
    }

    /// <summary>Opens the repository at an S3 URL (see <see cref="S3RepositoryUrl"/>) with default options.</summary>
    /// <exception cref="FormatException">The URL is not a valid S3 repository URL.</exception>
    public static S3Storage Open(string url, TimeProvider? timeProvider = null) =>
        new(S3RepositoryUrl.Parse(url), timeProvider);

    /// <inheritdoc />
    public string Location { get; }

    private bool UseChunkEncoding => _options.UseChunkEncoding && _options.ChecksumMode == S3ChecksumMode.WhenSupported;

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var key = Key(name);
        try
        {
            if (_options.NoOverwrite == S3NoOverwriteMode.HeadThenPut && await HeadAsync(key, cancellationToken) is not null)
            {
                throw StorageException.AlreadyExists(Location, name);
            }

            var bytes = AsSegment(content);
            if (content.Length >= _options.MultipartThreshold && content.Length > _options.PartSize)
            {
                await S3MultipartUpload.RunAsync(_client, _options, key, bytes, UseChunkEncoding, RetainUntil(), cancellationToken);
            }
            else
            {
                await PutAsync(key, bytes, cancellationToken);
            }
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        ObjectRange.ValidateArguments(offset, length);
        var key = Key(name);
        try
        {
            if (length == 0)
            {
                var size = await StatSizeAsync(name, key, cancellationToken);
                return offset <= size ? [] : throw BeyondEnd(name, offset, length, size);
            }

            var request = new GetObjectRequest { BucketName = _options.Bucket, Key = key };
            if (offset > 0 || length is not null)
            {
                request.ByteRange = length is { } count ? new ByteRange(offset, offset + count - 1) : new ByteRange($"bytes={offset}-");
            }

            byte[] data;
            try
            {
                using var response = await _client.GetObjectAsync(request, cancellationToken);
                data = await ReadBodyAsync(response, cancellationToken);
                if (length is { } wanted && data.Length > wanted)
                {
                    // Some services ignore or widen a range (s3rver answers bytes=0-0 with the whole
                    // object): cut the requested bytes out of what came back.
                    var start = ResponseStart(response);
                    data = data.AsSpan((int)(offset - start), (int)wanted).ToArray();
                }
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || ex.ErrorCode == "InvalidRange")
            {
                // bytes=N- with N == size is unsatisfiable for S3, but it is the (empty) rest of the object.
                var size = await StatSizeAsync(name, key, cancellationToken);
                return length is null && offset == size ? [] : throw BeyondEnd(name, offset, length, size);
            }

            if (length is { } expected && data.Length != expected)
            {
                throw BeyondEnd(name, offset, length, offset + data.Length);
            }

            return data;
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        var key = Key(name);
        try
        {
            var size = await HeadAsync(key, cancellationToken);
            return size is { } value ? new ObjectInfo(name, value) : null;
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        return ListValidatedAsync(prefix, cancellationToken);
    }

    private async IAsyncEnumerable<ObjectInfo> ListValidatedAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = _options.Bucket,
            Prefix = _root + prefix,
            MaxKeys = _options.ListPageSize,
        };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken);
            }
            catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
            {
                throw mapped;
            }

            _bucketVerified = true;
            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key.Length > _root.Length && !item.Key.EndsWith('/'))
                {
                    yield return new ObjectInfo(item.Key[_root.Length..], item.Size ?? 0);
                }
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var key = Key(name);
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            // Some S3-compatible services answer 404 for a missing key: removing it is not an error.
        }
        catch (Exception ex) when (Map(ex, name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<bool> CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        try
        {
            var created = await S3BucketCreation.CreateIfMissingAsync(_client, _options, _root, Location, cancellationToken);
            _bucketVerified = true;
            return created;
        }
        catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    /// <remarks>Aborts this prefix's multipart uploads initiated before the cutoff (the service bills their parts until then).</remarks>
    public async Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        try
        {
            return await S3StaleUploads.AbortAsync(_client, _options.Bucket, _root, (_timeProvider.GetUtcNow() - olderThan).UtcDateTime, cancellationToken);
        }
        catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task PutAsync(string key, ArraySegment<byte> bytes, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false),
            AutoCloseStream = true,
            ContentType = "application/octet-stream",
            UseChunkEncoding = UseChunkEncoding,
            IfNoneMatch = _options.NoOverwrite == S3NoOverwriteMode.ConditionalPut ? "*" : null,
        };
        S3RequestSettings.Apply(request, _options, RetainUntil());
        if (_options.ObjectLock is not null)
        {
            // Object Lock requires an integrity header; Content-MD5 is the one every provider accepts.
#pragma warning disable CA5351 // MD5 here is S3's transport integrity check, not a security measure
            request.MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(bytes));
#pragma warning restore CA5351
        }

        await _client.PutObjectAsync(request, cancellationToken);
    }

    /// <summary>The object's size, or null when it does not exist (after making sure the bucket does).</summary>
    private async Task<long?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken);
            _bucketVerified = true;
            return response.ContentLength;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // A HEAD response has no body, so a missing bucket looks like a missing key: check once.
            await EnsureBucketAsync(cancellationToken);
            return null;
        }
    }

    private async Task<long> StatSizeAsync(string name, string key, CancellationToken cancellationToken) =>
        await HeadAsync(key, cancellationToken) ?? throw StorageException.NotFound(Location, name);

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketVerified)
        {
            return;
        }

        await _client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _root, MaxKeys = 1 }, cancellationToken);
        _bucketVerified = true;
    }

    private static async Task<byte[]> ReadBodyAsync(GetObjectResponse response, CancellationToken cancellationToken)
    {
        var declared = response.ContentLength;
        if (declared >= 0 && declared <= Array.MaxLength)
        {
            var buffer = new byte[declared];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await response.ResponseStream.ReadAsync(buffer.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"S3 response body ended after {read} of {declared} bytes");
                }

                read += n;
            }

            return buffer;
        }

        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, cancellationToken);
        return copy.ToArray();
    }

    /// <summary>Where the returned bytes start: the first number of Content-Range, or 0 for a whole object.</summary>
    private static long ResponseStart(GetObjectResponse response)
    {
        var range = response.ContentRange;
        if (range is null || !range.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return dash > 6 && long.TryParse(range.AsSpan(6, dash - 6), System.Globalization.CultureInfo.InvariantCulture, out var start) ? start : 0;
    }

    private StorageException BeyondEnd(string name, long offset, long? length, long size) =>
        new(StorageErrorKind.Permanent,
            $"cannot read {(length is null ? "the rest" : $"{length} bytes")} at offset {offset} of '{name}' in {Location}: the object has only {size} bytes");

    private StorageException? Map(Exception exception, string? name, CancellationToken cancellationToken) =>
        S3ErrorMapper.Map(exception, Location, _options.Bucket, name, cancellationToken);

    private DateTime? RetainUntil() =>
        _options.ObjectLock is { } objectLock ? _timeProvider.GetUtcNow().UtcDateTime.AddDays(objectLock.Days) : null;

    private string Key(string name)
    {
        ObjectNames.Validate(name);
        return _root + name;
    }

    private static ArraySegment<byte> AsSegment(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) ? segment : new ArraySegment<byte>(content.ToArray());

    private static S3StorageOptions Validate(S3StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Bucket);
        if (options.PartSize < 5L * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "PartSize must be at least 5 MiB (the S3 minimum)");
        }

        if (options.MaxParallelParts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxParallelParts must be at least 1");
        }

        if (options.ListPageSize is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ListPageSize must be between 1 and 1000");
        }

        return options;
    }
}
