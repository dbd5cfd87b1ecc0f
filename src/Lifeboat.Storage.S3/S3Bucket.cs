using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Lifeboat.Storage.Buckets;

namespace Lifeboat.Storage.S3;

/// <summary>
/// An S3 bucket (and key prefix) as a backup source and restore target: AWS S3, Supabase Storage's S3 endpoint or any
/// S3-compatible service. Credentials come from the environment as for repositories (<see cref="S3StorageOptions.Credentials"/>);
/// they never appear in <see cref="Location"/> or in an error.
/// </summary>
public sealed class S3Bucket : IObjectBucket
{
    private const string MetadataPrefix = "x-amz-meta-";
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly string _root;

    public S3Bucket(S3StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Bucket);
        _options = options;
        _client = S3ClientFactory.Create(options);
        _root = options.Prefix.Trim('/') is { Length: > 0 } prefix ? prefix + "/" : "";
        Location = S3RepositoryUrl.Format(options);
    }

    /// <inheritdoc />
    public string Location { get; }

    private bool UseChunkEncoding => _options.UseChunkEncoding && _options.ChecksumMode == S3ChecksumMode.WhenSupported;

    /// <inheritdoc />
    public async IAsyncEnumerable<BucketObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _root + prefix, MaxKeys = _options.ListPageSize };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket" || (ex.StatusCode == HttpStatusCode.NotFound && string.IsNullOrEmpty(ex.ErrorCode)))
            {
                throw new BucketUnlistableException(BucketUnlistableReason.Missing,
                    $"bucket '{_options.Bucket}' does not exist at {Location}: check the bucket name in the URL", ex);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized ||
                ex.ErrorCode is "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken")
            {
                throw new BucketUnlistableException(BucketUnlistableReason.Denied,
                    $"listing bucket '{_options.Bucket}' at {Location} was denied ({ex.ErrorCode}, HTTP {(int)ex.StatusCode}): the credentials in " +
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) need s3:ListBucket and s3:GetObject on it", ex);
            }
            catch (Exception ex) when (Map(ex, null, cancellationToken) is { } mapped)
            {
                throw mapped;
            }

            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key.Length > _root.Length)
                {
                    yield return new BucketObject(item.Key[_root.Length..], item.Size ?? 0, item.ETag ?? "",
                        item.LastModified is { } time ? new DateTimeOffset(time.ToUniversalTime(), TimeSpan.Zero) : null);
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
    public async Task<BucketObjectBody?> GetAsync(string key, string? ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectAsync(
                new GetObjectRequest { BucketName = _options.Bucket, Key = _root + key, EtagToMatch = ifMatch }, cancellationToken);
            var head = new BucketObjectHead(key, response.ContentLength, response.ETag ?? "", response.Headers.ContentType, Metadata(response.Metadata));
            return new BucketObjectBody(head, response.ResponseStream, response);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new BucketObjectChangedException(key, ex);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
        catch (Exception ex) when (Map(ex, key, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<BucketObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = _root + key }, cancellationToken);
            return new BucketObjectHead(key, response.ContentLength, response.ETag ?? "", response.Headers.ContentType, Metadata(response.Metadata));
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception ex) when (Map(ex, key, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task PutAsync(BucketPut put, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(put);
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = _root + put.Key,
            InputStream = content,
            AutoCloseStream = false,
            ContentType = put.ContentType ?? "application/octet-stream",
            UseChunkEncoding = UseChunkEncoding,
            IfNoneMatch = put.OnlyIfAbsent ? "*" : null,
        };
        if (!content.CanSeek)
        {
            request.Headers.ContentLength = put.Size;
        }
        foreach (var (name, value) in put.Metadata)
        {
            request.Metadata.Add(name, value);
        }

        try
        {
            await _client.PutObjectAsync(request, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new BucketObjectExistsException(put.Key, ex);
        }
        catch (Exception ex) when (Map(ex, put.Key, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    private static Dictionary<string, string> Metadata(MetadataCollection metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in metadata.Keys)
        {
            var plain = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name;
            result[plain.ToLowerInvariant()] = metadata[name];
        }

        return result;
    }

    private StorageException? Map(Exception exception, string? key, CancellationToken cancellationToken) =>
        S3ErrorMapper.Map(exception, Location, _options.Bucket, key, cancellationToken);
}
