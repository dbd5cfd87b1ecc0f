using Amazon.S3;
using Amazon.S3.Model;

namespace Lifeboat.Storage.S3;

/// <summary>
/// Uploads one object in parts, at most <see cref="S3StorageOptions.MaxParallelParts"/> at a time.
/// The object appears only when the upload is completed; on failure the upload is aborted.
/// </summary>
internal static class S3MultipartUpload
{
    public static async Task RunAsync(
        IAmazonS3 client,
        S3StorageOptions options,
        string key,
        ArraySegment<byte> bytes,
        bool useChunkEncoding,
        DateTime? retainUntil,
        CancellationToken cancellationToken)
    {
        var flexibleChecksums = options.ChecksumMode == S3ChecksumMode.WhenSupported;
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = options.Bucket,
            Key = key,
            ContentType = "application/octet-stream",
        };
        if (flexibleChecksums)
        {
            initiate.ChecksumAlgorithm = ChecksumAlgorithm.CRC32;
        }

        S3RequestSettings.Apply(initiate, options, retainUntil);
        var uploadId = (await client.InitiateMultipartUploadAsync(initiate, cancellationToken)).UploadId;
        try
        {
            var partCount = (int)((bytes.Count + options.PartSize - 1) / options.PartSize);
            var parts = new PartETag[partCount];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelParts, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, partCount), parallel, async (index, token) =>
            {
                var start = index * options.PartSize;
                var size = (int)Math.Min(options.PartSize, bytes.Count - start);
                var request = new UploadPartRequest
                {
                    BucketName = options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = index + 1,
                    PartSize = size,
                    InputStream = new MemoryStream(bytes.Array!, bytes.Offset + (int)start, size, writable: false),
                    UseChunkEncoding = useChunkEncoding,
                    IsLastPart = index == partCount - 1,
                };
                if (flexibleChecksums)
                {
                    request.ChecksumAlgorithm = ChecksumAlgorithm.CRC32;
                }

                var response = await client.UploadPartAsync(request, token);
                parts[index] = new PartETag(index + 1, response.ETag) { ChecksumCRC32 = response.ChecksumCRC32 };
            });

            await client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest
                {
                    BucketName = options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartETags = [.. parts],
                    IfNoneMatch = options.NoOverwrite == S3NoOverwriteMode.ConditionalPut ? "*" : null,
                },
                cancellationToken);
        }
        catch
        {
            await AbortQuietlyAsync(client, options.Bucket, key, uploadId);
            throw;
        }
    }

    private static async Task AbortQuietlyAsync(IAmazonS3 client, string bucket, string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, timeout.Token);
        }
        catch (Exception)
        {
            // Best effort: a lifecycle rule for incomplete multipart uploads cleans up what is left.
        }
    }
}

/// <summary>Aborts multipart uploads under a prefix that were started long ago and never completed (the service bills their parts).</summary>
internal static class S3StaleUploads
{
    public static async Task<int> AbortAsync(IAmazonS3 client, string bucket, string prefix, DateTime cutoffUtc, CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix };
        var removed = 0;
        while (true)
        {
            ListMultipartUploadsResponse response;
            try
            {
                response = await client.ListMultipartUploadsAsync(request, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NotImplemented" || ex.StatusCode == System.Net.HttpStatusCode.NotImplemented)
            {
                // a provider without the listing: its lifecycle rules are the only cleanup (docs/storage.md)
                return removed;
            }

            foreach (var upload in response.MultipartUploads ?? [])
            {
                if (upload.Initiated is not { } initiated || initiated.ToUniversalTime() >= cutoffUtc)
                {
                    continue;
                }

                try
                {
                    await client.AbortMultipartUploadAsync(
                        new AbortMultipartUploadRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken);
                    removed++;
                }
                catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload")
                {
                    // completed or aborted by someone else meanwhile
                }
            }

            if (response.IsTruncated != true)
            {
                return removed;
            }

            request.KeyMarker = response.NextKeyMarker;
            request.UploadIdMarker = response.NextUploadIdMarker;
        }
    }
}
