using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace Lifeboat.Storage.S3;

/// <summary>
/// Classifies AWS SDK failures as <see cref="StorageException"/>s. Messages name the location,
/// the bucket and the service's error code; they never contain a credential.
/// </summary>
internal static class S3ErrorMapper
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed",
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
        "OperationAborted", "TooManyRequestsException",
    };

    /// <summary>
    /// The codes of a full store or an exhausted quota: MinIO's full drives (XMinioStorageFull, HTTP 507) and
    /// bucket quota (XMinioAdminBucketQuotaExceeded, HTTP 400), Ceph RGW's user or bucket quota (QuotaExceeded,
    /// HTTP 403). Any HTTP 507 (Insufficient Storage) is one too. EntityTooLarge is not: it is a size limit of one object.
    /// </summary>
    private static readonly HashSet<string> OutOfSpaceCodes = new(StringComparer.Ordinal)
    {
        "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "QuotaExceeded",
    };

    private static readonly HashSet<string> AuthCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
        "ExpiredToken", "AccountProblem", "AllAccessDisabled", "InvalidSecurity", "NotSignedUp", "Unauthorized",
    };

    /// <summary>
    /// Maps <paramref name="exception"/> to a <see cref="StorageException"/>, or returns null when it
    /// must propagate unchanged (cancellation requested by the caller, or already classified).
    /// </summary>
    public static StorageException? Map(Exception exception, string location, string bucket, string? name, CancellationToken cancellationToken)
    {
        if (exception is StorageException || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        var what = name is null ? location : $"'{name}' in {location}";
        switch (exception)
        {
            case AmazonS3Exception s3:
                return MapService(s3, s3.ErrorCode, s3.StatusCode, what, location, bucket, name);
            case AmazonServiceException service:
                return MapService(service, service.ErrorCode, service.StatusCode, what, location, bucket, name);
            case OperationCanceledException or TimeoutException:
                return new StorageException(StorageErrorKind.Transient, $"S3 request for {what} timed out", exception);
            case HttpRequestException or IOException or System.Net.Sockets.SocketException:
                return new StorageException(StorageErrorKind.Transient, $"S3 request for {what} failed: {exception.GetType().Name}: {exception.Message}", exception);
            case AmazonClientException client when client.InnerException is HttpRequestException or IOException or System.Net.Sockets.SocketException or TimeoutException:
                return new StorageException(StorageErrorKind.Transient, $"S3 request for {what} failed: {client.InnerException.Message}", exception);
            case AmazonClientException client:
                return new StorageException(
                    StorageErrorKind.Permanent,
                    $"S3 client error for {location}: {client.Message} (credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role)",
                    exception);
            default:
                return null;
        }
    }

    private static StorageException MapService(
        Exception exception, string? code, HttpStatusCode status, string what, string location, string bucket, string? name)
    {
        code ??= "";
        var detail = string.IsNullOrEmpty(code) ? $"HTTP {(int)status}" : $"{code}, HTTP {(int)status}";
        return MapObjectState(exception, code, status, detail, what, location, bucket, name)
            ?? MapServiceLimit(exception, code, status, detail, what, location, bucket)
            ?? MapAccess(exception, code, status, detail, what, bucket)
            ?? new StorageException(StorageErrorKind.Permanent, $"S3 request for {what} failed ({detail}): {exception.Message}", exception);
    }

    /// <summary>A bucket or object that is not there, or there already; a range beyond the end.</summary>
    private static StorageException? MapObjectState(
        Exception exception, string code, HttpStatusCode status, string detail, string what, string location, string bucket, string? name)
    {
        if (code == "NoSuchBucket")
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"S3 bucket '{bucket}' does not exist ({location}); fix the repository URL, or run 'lifeboat init', which creates it when the credentials allow",
                exception);
        }

        if (code == "NoSuchKey" || (status == HttpStatusCode.NotFound && name is not null && code is "" or "NotFound"))
        {
            return name is null
                ? new StorageException(StorageErrorKind.Permanent, $"S3 {location}: not found ({detail})", exception)
                : new StorageException(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}", exception);
        }

        if (status == HttpStatusCode.PreconditionFailed || code is "PreconditionFailed" or "ConditionalRequestConflict")
        {
            return name is null
                ? new StorageException(StorageErrorKind.Transient, $"S3 conditional request failed on {location} ({detail})", exception)
                : new StorageException(
                    code == "ConditionalRequestConflict" ? StorageErrorKind.Transient : StorageErrorKind.AlreadyExists,
                    $"object '{name}' already exists in {location} and objects are never overwritten ({detail})",
                    exception);
        }

        if (code is "InvalidRange" || status == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return new StorageException(StorageErrorKind.Permanent, $"the requested range lies beyond the end of {what}", exception);
        }

        return null;
    }

    /// <summary>What the service cannot do now (full, busy, failing) or at all (not implemented).</summary>
    private static StorageException? MapServiceLimit(
        Exception exception, string code, HttpStatusCode status, string detail, string what, string location, string bucket)
    {
        if (OutOfSpaceCodes.Contains(code) || status == HttpStatusCode.InsufficientStorage)
        {
            return StorageException.OutOfSpace(
                $"no space left on S3 {location} for {what} ({detail})",
                $"free space on the store or raise the quota of bucket '{bucket}'",
                exception);
        }

        if (code is "NotImplemented" || status == HttpStatusCode.NotImplemented)
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"the S3 service of {location} does not implement a feature used for {what} ({detail}); for conditional writes set the no-overwrite mode to head-then-put, for checksums use checksum mode when_required",
                exception);
        }

        if (TransientCodes.Contains(code) || (int)status >= 500 || status == HttpStatusCode.TooManyRequests || status == HttpStatusCode.RequestTimeout)
        {
            return new StorageException(StorageErrorKind.Transient, $"S3 request for {what} failed ({detail}); worth retrying", exception);
        }

        return null;
    }

    /// <summary>Credentials refused, or a bucket in another region.</summary>
    private static StorageException? MapAccess(Exception exception, string code, HttpStatusCode status, string detail, string what, string bucket)
    {
        if (AuthCodes.Contains(code) || status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            var hint = code switch
            {
                "InvalidAccessKeyId" => "the access key id is not known to the service",
                "SignatureDoesNotMatch" => "the secret access key does not match the access key id",
                "InvalidToken" or "ExpiredToken" => "the session token is invalid or expired",
                _ => "the credentials are not allowed to do this",
            };
            return new StorageException(
                StorageErrorKind.Permanent,
                $"S3 access to bucket '{bucket}' denied for {what} ({detail}): {hint}; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE and the bucket policy",
                exception);
        }

        if (code is "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException")
        {
            return new StorageException(
                StorageErrorKind.Permanent,
                $"S3 bucket '{bucket}' is in another region than the one configured ({detail}); set AWS_REGION to the bucket's region",
                exception);
        }

        return null;
    }
}
