using System.Globalization;
using Lifeboat.Storage;
using Lifeboat.Storage.Azure;
using Lifeboat.Storage.S3;
using Lifeboat.Storage.Sftp;

namespace Lifeboat.Cli;

/// <summary>How storage is reached: connections, bandwidth limits and backend settings (<c>-o key=value</c>).</summary>
internal sealed record StorageSettings(int Connections, long? UploadLimit, long? DownloadLimit, IReadOnlyDictionary<string, string> Options);

/// <summary>
/// Turns a repository location (<c>--repo</c> / <c>LIFEBOAT_REPO</c>) into storage: the backend
/// chosen by the scheme, wrapped (outermost first) in retries, a connection limit and optional
/// bandwidth limits.
/// </summary>
internal static class StorageFactory
{
    public const string RepositoryVariable = "LIFEBOAT_REPO";

    /// <summary>Every <c>-o</c> key, with what it sets (shown in errors and docs).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownOptions = new Dictionary<string, string>
    {
        ["s3.region"] = "region (default from the endpoint or AWS_REGION)",
        ["s3.path-style"] = "true|false: bucket in the path instead of the host name",
        ["s3.checksum"] = "when_supported|when_required (R2, B2, GCS, some MinIO and s3rver need when_required)",
        ["s3.no-overwrite"] = "conditional|head-then-put (for stores without If-None-Match)",
        ["s3.storage-class"] = "e.g. STANDARD_IA",
        ["s3.sse"] = "server-side encryption, e.g. AES256 or aws:kms",
        ["s3.kms-key"] = "KMS key id for s3.sse=aws:kms",
        ["s3.object-lock"] = "governance:DAYS or compliance:DAYS: objects cannot be deleted for DAYS",
        ["s3.part-size"] = "multipart part size in MiB",
        ["azure.tier"] = "access tier, e.g. Cool",
        ["azure.immutability-days"] = "days each blob is immutable",
        ["sftp.key"] = "private key file",
        ["sftp.known-hosts"] = "known_hosts file",
        ["sftp.fingerprint"] = "trust exactly this host key (SHA256:...)",
    };

    public static string Resolve(string? repo) =>
        !string.IsNullOrWhiteSpace(repo) ? repo
        : Environment.GetEnvironmentVariable(RepositoryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new UsageException($"no repository given: pass --repo LOCATION or set {RepositoryVariable}");

    public static IStorage Create(string location, StorageSettings settings) => Wrap(CreateBackend(location, settings), settings);

    /// <summary>The backend alone, without the wrappers (after checking every <c>-o</c> key).</summary>
    public static IStorage CreateBackend(string location, StorageSettings settings)
    {
        foreach (var key in settings.Options.Keys.Where(k => !KnownOptions.ContainsKey(k)))
        {
            throw new UsageException($"unknown option -o {key}: known keys are {string.Join(", ", KnownOptions.Keys)}");
        }

        return CreateBackend(location, settings.Options);
    }

    /// <summary>
    /// The bucket of <c>backup --bucket</c> / <c>restore --to-bucket</c>: an S3 URL (<c>s3:https://HOST/BUCKET[/prefix]</c>,
    /// Supabase's <c>s3:https://REF.supabase.co/storage/v1/s3/BUCKET[/prefix]</c>), with the <c>-o s3.*</c> settings and
    /// the credentials of the environment.
    /// </summary>
    public static Lifeboat.Storage.Buckets.IObjectBucket CreateBucket(string url, string option, StorageSettings settings)
    {
        foreach (var key in settings.Options.Keys.Where(k => !KnownOptions.ContainsKey(k)))
        {
            throw new UsageException($"unknown option -o {key}: known keys are {string.Join(", ", KnownOptions.Keys)}");
        }

        if (!S3RepositoryUrl.IsMatch(url))
        {
            throw new UsageException($"{option} {url}: a bucket is given as s3:https://HOST/BUCKET[/prefix] (Supabase Storage: s3:https://REF.supabase.co/storage/v1/s3/BUCKET)");
        }

        try
        {
            return new S3Bucket(ApplyS3(S3RepositoryUrl.Parse(url), settings.Options));
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option} {url}: {e.Message}");
        }
    }

    /// <summary>Wraps <paramref name="backend"/> (outermost first) in retries, a connection limit and optional bandwidth limits.</summary>
    public static IStorage Wrap(IStorage backend, StorageSettings settings)
    {
        IStorage storage = backend;
        if (settings.UploadLimit is not null || settings.DownloadLimit is not null)
        {
            storage = new BandwidthLimitingStorage(storage, settings.UploadLimit, settings.DownloadLimit);
        }

        storage = new ConcurrencyLimitingStorage(storage, settings.Connections);
        return new RetryingStorage(storage);
    }

    private static IStorage CreateBackend(string location, IReadOnlyDictionary<string, string> options)
    {
        try
        {
            if (S3RepositoryUrl.IsMatch(location))
            {
                return new S3Storage(ApplyS3(S3RepositoryUrl.Parse(location), options));
            }

            if (AzureRepositoryUrl.IsMatch(location))
            {
                var azure = AzureRepositoryUrl.Parse(location);
                azure = azure with
                {
                    AccessTier = Get(options, "azure.tier") ?? azure.AccessTier,
                    ImmutabilityDays = Int(options, "azure.immutability-days") ?? azure.ImmutabilityDays,
                };
                return new AzureBlobStorage(azure);
            }

            if (SftpRepositoryUrl.IsMatch(location))
            {
                var sftp = SftpRepositoryUrl.Parse(location);
                sftp = sftp with
                {
                    PrivateKeyFile = Get(options, "sftp.key") ?? sftp.PrivateKeyFile,
                    KnownHostsFile = Get(options, "sftp.known-hosts") ?? sftp.KnownHostsFile,
                    HostKeyFingerprint = Get(options, "sftp.fingerprint") ?? sftp.HostKeyFingerprint,
                };
                return new SftpStorage(sftp);
            }
        }
        catch (FormatException e)
        {
            throw new UsageException($"repository location '{location}': {e.Message}");
        }

        if (location.StartsWith("local:", StringComparison.Ordinal))
        {
            return new LocalFileStorage(Path.GetFullPath(location["local:".Length..]));
        }

        var colon = location.IndexOf(':', StringComparison.Ordinal);
        if (colon > 1 && !location.StartsWith('/') && !location.StartsWith('.'))
        {
            throw new UsageException(
                $"unknown repository scheme '{location[..colon]}:' in '{location}': use a directory path, local:PATH, s3:..., azure:CONTAINER/PREFIX or sftp:USER@HOST:PATH");
        }

        return new LocalFileStorage(Path.GetFullPath(location));
    }

    private static S3StorageOptions ApplyS3(S3StorageOptions s3, IReadOnlyDictionary<string, string> options) => s3 with
    {
        Region = Get(options, "s3.region") ?? s3.Region,
        ForcePathStyle = Bool(options, "s3.path-style") ?? s3.ForcePathStyle,
        ChecksumMode = Get(options, "s3.checksum") switch
        {
            null => s3.ChecksumMode,
            "when_supported" => S3ChecksumMode.WhenSupported,
            "when_required" => S3ChecksumMode.WhenRequired,
            var other => throw new UsageException($"-o s3.checksum={other}: use when_supported or when_required"),
        },
        NoOverwrite = Get(options, "s3.no-overwrite") switch
        {
            null => s3.NoOverwrite,
            "conditional" => S3NoOverwriteMode.ConditionalPut,
            "head-then-put" => S3NoOverwriteMode.HeadThenPut,
            var other => throw new UsageException($"-o s3.no-overwrite={other}: use conditional or head-then-put"),
        },
        StorageClass = Get(options, "s3.storage-class") ?? s3.StorageClass,
        ServerSideEncryption = Get(options, "s3.sse") ?? s3.ServerSideEncryption,
        KmsKeyId = Get(options, "s3.kms-key") ?? s3.KmsKeyId,
        ObjectLock = Get(options, "s3.object-lock") is { } lockText ? ParseObjectLock(lockText) : s3.ObjectLock,
        PartSize = Int(options, "s3.part-size") is { } mib ? mib * 1024L * 1024 : s3.PartSize,
    };

    private static S3ObjectLock ParseObjectLock(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2 && Enum.TryParse<S3ObjectLockMode>(parts[0], ignoreCase: true, out var mode)
            && int.TryParse(parts[1].TrimEnd('d'), NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days > 0)
        {
            return new S3ObjectLock(mode, days);
        }

        throw new UsageException($"-o s3.object-lock={text}: use governance:DAYS or compliance:DAYS, e.g. compliance:30");
    }

    private static string? Get(IReadOnlyDictionary<string, string> options, string key) => options.GetValueOrDefault(key);

    private static bool? Bool(IReadOnlyDictionary<string, string> options, string key) => Get(options, key) switch
    {
        null => null,
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        var other => throw new UsageException($"-o {key}={other}: use true or false"),
    };

    private static int? Int(IReadOnlyDictionary<string, string> options, string key) =>
        Get(options, key) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new UsageException($"-o {key}={text}: expected a positive whole number");

    /// <summary>Parses "10M", "500K", "1G" (bytes per second) or a plain number of bytes.</summary>
    public static long? ParseRate(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim().TrimEnd('s', '/', 'B', 'b');
        long multiplier = 1;
        if (trimmed.Length > 0 && "KMGkmg".Contains(trimmed[^1], StringComparison.Ordinal))
        {
            multiplier = char.ToUpperInvariant(trimmed[^1]) switch { 'K' => 1024, 'M' => 1024 * 1024, _ => 1024L * 1024 * 1024 };
            trimmed = trimmed[..^1];
        }

        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (long)(value * multiplier)
            : throw new UsageException($"{option} '{text}' is not a rate: use e.g. 10M (MiB/s), 500K or 1G");
    }
}
