using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Lifeboat.Storage.S3;

/// <summary>Creates a repository's bucket when it does not exist (with Object Lock enabled when the options ask for retention).</summary>
internal static class S3BucketCreation
{
    /// <param name="root">The repository's prefix in the bucket ("" or ending in '/'): the existence check lists only under it,
    /// which credentials whose s3:ListBucket is limited to that prefix may do.</param>
    public static async Task<bool> CreateIfMissingAsync(IAmazonS3 client, S3StorageOptions options, string root, string location, CancellationToken cancellationToken)
    {
        try
        {
            await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = options.Bucket, Prefix = root, MaxKeys = 1 }, cancellationToken);
            return false;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            // create it below
        }

        var request = new PutBucketRequest { BucketName = options.Bucket };
        if (options.ObjectLock is not null)
        {
            request.ObjectLockEnabledForBucket = true;
        }

        if (options.Endpoint is null && client.Config.RegionEndpoint is { SystemName: not "us-east-1" } region)
        {
            request.BucketRegionName = region.SystemName;
        }

        try
        {
            await client.PutBucketAsync(request, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou")
        {
            return false;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "AccessDenied" or "Forbidden" || ex.StatusCode == HttpStatusCode.Forbidden)
        {
            var permission = options.ObjectLock is null ? "s3:CreateBucket" : "s3:CreateBucket and s3:PutBucketObjectLockConfiguration";
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"S3 bucket '{options.Bucket}' does not exist and these credentials may not create it ({location}): the permission {permission} is missing; " +
                "create the bucket by hand or grant the permission, then run init again",
                ex);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyExists")
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"S3 bucket name '{options.Bucket}' is taken by another account ({location}): bucket names are global, choose another",
                ex);
        }
    }
}
