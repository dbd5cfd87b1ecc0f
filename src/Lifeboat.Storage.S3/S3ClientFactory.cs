using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Lifeboat.Storage.S3;

/// <summary>Builds the AWS SDK client an <see cref="S3Storage"/> talks through.</summary>
internal static class S3ClientFactory
{
    public static AmazonS3Client Create(S3StorageOptions options)
    {
        var checksums = options.ChecksumMode == S3ChecksumMode.WhenRequired;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            MaxErrorRetry = options.SdkMaxRetries,
            RequestChecksumCalculation = checksums ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED,
            ResponseChecksumValidation = checksums ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED,
        };
        if (options.RequestTimeout is { } timeout)
        {
            config.Timeout = timeout;
        }

        if (options.Profile is { Length: > 0 } profile)
        {
            config.Profile = new Profile(profile);
        }

        var region = ResolveRegion(options);
        if (options.Endpoint is null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        else
        {
            // A path is kept (Supabase serves S3 under /storage/v1/s3); buckets follow it, path-style.
            config.ServiceURL = options.Endpoint.AbsoluteUri.TrimEnd('/');
            config.AuthenticationRegion = region;
            config.UseHttp = options.Endpoint.Scheme == Uri.UriSchemeHttp;
        }

        return options.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(options.Credentials, config);
    }

    private static string ResolveRegion(S3StorageOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Region))
        {
            return options.Region;
        }

        foreach (var variable in new[] { "AWS_REGION", "AWS_DEFAULT_REGION" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
            {
                return fromEnvironment;
            }
        }

        if (options.Endpoint is null)
        {
            try
            {
                if (FallbackRegionFactory.GetRegionEndpoint() is { } fallback)
                {
                    return fallback.SystemName;
                }
            }
            catch (AmazonClientException)
            {
                // No region in the profile either: fall through to the default.
            }
        }

        return "us-east-1";
    }
}
