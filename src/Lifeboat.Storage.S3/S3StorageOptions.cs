using Amazon.Runtime;

namespace Lifeboat.Storage.S3;

/// <summary>
/// Where and how an <see cref="S3Storage"/> stores objects: a bucket and a key prefix on AWS S3
/// or on any S3-compatible service. Parse a repository URL with
/// <see cref="S3RepositoryUrl.TryParse"/> and adjust the rest with <c>with</c> expressions.
/// </summary>
public sealed record S3StorageOptions
{
    /// <summary>The bucket; <c>init</c> creates it when it does not exist (<see cref="IContainerCreation"/>).</summary>
    public required string Bucket { get; init; }

    /// <summary>Key prefix inside the bucket, without leading or trailing slash ("" = bucket root).</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Service endpoint of an S3-compatible provider; null means AWS S3.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>
    /// Signing region. Null: AWS_REGION / AWS_DEFAULT_REGION / the profile, else <c>us-east-1</c>
    /// (R2 wants <c>auto</c>).
    /// </summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>); most non-AWS endpoints want it.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>
    /// Explicit credentials. Null (the default) uses the standard AWS chain: AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, shared config files, instance roles.
    /// </summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Named profile from the shared AWS config files (overrides AWS_PROFILE).</summary>
    public string? Profile { get; init; }

    /// <summary>Storage class for new objects (e.g. <c>STANDARD_IA</c>); null = the bucket's default.</summary>
    public string? StorageClass { get; init; }

    /// <summary>Server-side encryption: <c>AES256</c> or <c>aws:kms</c>; null = the bucket's default.</summary>
    public string? ServerSideEncryption { get; init; }

    /// <summary>KMS key id when <see cref="ServerSideEncryption"/> is <c>aws:kms</c>.</summary>
    public string? KmsKeyId { get; init; }

    /// <summary>
    /// When the SDK computes and validates checksums. AWS, MinIO (recent) and Wasabi take
    /// <see cref="S3ChecksumMode.WhenSupported"/>; s3rver, R2, B2, GCS and some MinIO versions
    /// need <see cref="S3ChecksumMode.WhenRequired"/>.
    /// </summary>
    public S3ChecksumMode ChecksumMode { get; init; } = S3ChecksumMode.WhenSupported;

    /// <summary>
    /// Send request bodies as aws-chunked (streaming signature). Emulators such as s3rver store the
    /// chunk framing verbatim, so turn it off for them; it is always off in
    /// <see cref="S3ChecksumMode.WhenRequired"/> mode.
    /// </summary>
    public bool UseChunkEncoding { get; init; } = true;

    /// <summary>How writes refuse to overwrite an existing object.</summary>
    public S3NoOverwriteMode NoOverwrite { get; init; } = S3NoOverwriteMode.ConditionalPut;

    /// <summary>Objects of at least this many bytes are sent as a multipart upload.</summary>
    public long MultipartThreshold { get; init; } = 64L * 1024 * 1024;

    /// <summary>Part size of multipart uploads (S3 minimum: 5 MiB, except the last part).</summary>
    public long PartSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>How many parts of one object are uploaded at the same time.</summary>
    public int MaxParallelParts { get; init; } = 4;

    /// <summary>Optional Object Lock retention set on every object written.</summary>
    public S3ObjectLock? ObjectLock { get; init; }

    /// <summary>Keys per ListObjectsV2 page (the service caps it at 1,000); null = service default.</summary>
    public int? ListPageSize { get; init; }

    /// <summary>
    /// Retries inside the AWS SDK per request. Lifeboat's own retry wrapper is the main retry, so
    /// this stays small to avoid multiplying attempts.
    /// </summary>
    public int SdkMaxRetries { get; init; } = 2;

    /// <summary>Timeout of one HTTP request; null = the SDK default.</summary>
    public TimeSpan? RequestTimeout { get; init; }
}

/// <summary>When request checksums are computed and response checksums validated.</summary>
public enum S3ChecksumMode
{
    /// <summary>Whenever the operation supports it (the SDK's default; CRC32 trailers on uploads).</summary>
    WhenSupported,

    /// <summary>Only when the operation requires it; for providers that reject or mangle flexible checksums.</summary>
    WhenRequired,
}

/// <summary>How an upload refuses to replace an existing object.</summary>
public enum S3NoOverwriteMode
{
    /// <summary>
    /// Conditional write <c>If-None-Match: *</c> on PutObject and CompleteMultipartUpload: atomic,
    /// the service answers 412 when the key exists. AWS S3 (since 2024), Cloudflare R2 and MinIO
    /// support it; see docs/storage.md.
    /// </summary>
    ConditionalPut,

    /// <summary>
    /// HEAD then PUT, for providers without conditional writes. Two writers can race between the
    /// HEAD and the PUT; with content-addressed names both write the same bytes, so the race is
    /// harmless for packs, indexes and snapshots.
    /// </summary>
    HeadThenPut,
}

/// <summary>S3 Object Lock mode.</summary>
public enum S3ObjectLockMode
{
    /// <summary>Users with <c>s3:BypassGovernanceRetention</c> can still delete or shorten retention.</summary>
    Governance,

    /// <summary>Nobody, including the root account, can delete the object before the date.</summary>
    Compliance,
}

/// <summary>Object Lock retention put on every object (the bucket must have Object Lock enabled).</summary>
/// <param name="Mode">Governance or compliance.</param>
/// <param name="Days">Retention from the time of writing, in days.</param>
public sealed record S3ObjectLock(S3ObjectLockMode Mode, int Days);
