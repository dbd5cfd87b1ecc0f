using Amazon.S3;
using Amazon.S3.Model;

namespace Lifeboat.Storage.S3;

/// <summary>Storage class, encryption and Object Lock settings shared by PutObject and multipart uploads.</summary>
internal static class S3RequestSettings
{
    public static void Apply(PutObjectRequest request, S3StorageOptions options, DateTime? retainUntil)
    {
        if (options.StorageClass is { Length: > 0 } storageClass)
        {
            request.StorageClass = S3StorageClass.FindValue(storageClass);
        }

        if (options.ServerSideEncryption is { Length: > 0 } sse)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(sse);
            request.ServerSideEncryptionKeyManagementServiceKeyId = options.KmsKeyId;
        }

        if (options.ObjectLock is { } objectLock)
        {
            request.ObjectLockMode = Mode(objectLock);
            request.ObjectLockRetainUntilDate = retainUntil;
        }
    }

    public static void Apply(InitiateMultipartUploadRequest request, S3StorageOptions options, DateTime? retainUntil)
    {
        if (options.StorageClass is { Length: > 0 } storageClass)
        {
            request.StorageClass = S3StorageClass.FindValue(storageClass);
        }

        if (options.ServerSideEncryption is { Length: > 0 } sse)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(sse);
            request.ServerSideEncryptionKeyManagementServiceKeyId = options.KmsKeyId;
        }

        if (options.ObjectLock is { } objectLock)
        {
            request.ObjectLockMode = Mode(objectLock);
            request.ObjectLockRetainUntilDate = retainUntil;
        }
    }

    private static ObjectLockMode Mode(S3ObjectLock objectLock) =>
        objectLock.Mode == S3ObjectLockMode.Compliance ? ObjectLockMode.Compliance : ObjectLockMode.Governance;
}
