using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Lifeboat.Storage.S3;

/// <summary>
/// Repository URLs of the S3 backend:
/// <list type="bullet">
/// <item><c>s3://bucket/prefix</c> — AWS S3 (region from AWS_REGION or the profile);</item>
/// <item><c>s3:https://endpoint[:port]/bucket/prefix</c> — an S3-compatible service (path-style);</item>
/// <item><c>s3:http://127.0.0.1:port/bucket/prefix</c> — plain HTTP, e.g. a local emulator;</item>
/// <item><c>s3:host/bucket/prefix</c> — as the https form (restic's spelling);</item>
/// <item><c>s3:https://REF.supabase.co/storage/v1/s3/bucket/prefix</c> — Supabase Storage, whose
/// S3 endpoint has a path (<c>/storage/v1/s3</c> is taken as part of the endpoint).</item>
/// </list>
/// Credentials never go in the URL; they come from the environment (see <see cref="S3StorageOptions.Credentials"/>).
/// </summary>
public static partial class S3RepositoryUrl
{
    /// <summary>The scheme the CLI dispatches on.</summary>
    public const string Scheme = "s3";

    private const string SupabasePath = "storage/v1/s3";

    /// <summary>True when <paramref name="url"/> names the S3 backend (starts with <c>s3:</c>).</summary>
    public static bool IsMatch(string url) => url.StartsWith("s3:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses an S3 repository URL, or says what is wrong with it.</summary>
    public static bool TryParse(
        string url,
        [NotNullWhen(true)] out S3StorageOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (!IsMatch(url))
        {
            error = "an S3 repository URL starts with 's3:' (s3://bucket/prefix or s3:https://endpoint/bucket/prefix)";
            return false;
        }

        var rest = url[3..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            return TryParseBucketPath(rest[2..], endpoint: null, pathStyle: false, out options, out error);
        }

        if (!rest.Contains("://", StringComparison.Ordinal))
        {
            rest = "https://" + rest;
        }

        if (!Uri.TryCreate(rest, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) ||
            string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Redact(url)}' is not a valid S3 URL: expected s3:https://endpoint/bucket/prefix";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "credentials are not accepted in an S3 URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            error = $"'{Redact(url)}' is not a valid S3 URL: no query or fragment allowed";
            return false;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        var awsRegion = AwsHostRegion().Match(uri.Host);
        if (awsRegion.Success && uri.Scheme == Uri.UriSchemeHttps)
        {
            // s3:s3.amazonaws.com/bucket or s3:s3.eu-west-1.amazonaws.com/bucket: plain AWS.
            if (!TryParseBucketPath(path, endpoint: null, pathStyle: false, out options, out error))
            {
                return false;
            }

            if (awsRegion.Groups["region"].Success)
            {
                options = options with { Region = awsRegion.Groups["region"].Value };
            }

            return true;
        }

        var endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority));
        if (path.StartsWith(SupabasePath + "/", StringComparison.OrdinalIgnoreCase))
        {
            // Supabase Storage serves S3 under a path: the endpoint is https://REF.supabase.co/storage/v1/s3.
            endpoint = new Uri(endpoint, SupabasePath);
            path = path[(SupabasePath.Length + 1)..];
        }

        return TryParseBucketPath(path, endpoint, pathStyle: true, out options, out error);
    }

    /// <summary>Parses an S3 repository URL.</summary>
    /// <exception cref="FormatException">The URL is not a valid S3 repository URL.</exception>
    public static S3StorageOptions Parse(string url) =>
        TryParse(url, out var options, out var error) ? options : throw new FormatException(error);

    /// <summary>The URL form of a location, fit for messages (it never contains a secret).</summary>
    public static string Format(S3StorageOptions options)
    {
        var tail = options.Prefix.Length == 0 ? options.Bucket : $"{options.Bucket}/{options.Prefix}";
        return options.Endpoint is null
            ? $"s3://{tail}"
            : $"s3:{options.Endpoint.AbsoluteUri.TrimEnd('/')}/{tail}";
    }

    private static bool TryParseBucketPath(
        string path,
        Uri? endpoint,
        bool pathStyle,
        [NotNullWhen(true)] out S3StorageOptions? options,
        [NotNullWhen(false)] out string? error)
    {
        options = null;
        path = path.Trim('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? path : path[..slash];
        var prefix = slash < 0 ? "" : path[(slash + 1)..].Trim('/');
        if (!BucketName().IsMatch(bucket))
        {
            error = bucket.Length == 0
                ? "the S3 URL names no bucket: expected s3://bucket/prefix or s3:https://endpoint/bucket/prefix"
                : $"'{bucket}' is not a valid bucket name (3-63 characters: lower-case letters, digits, '.', '-', '_')";
            return false;
        }

        if (prefix.Split('/').Any(segment => segment is "." or ".." || (segment.Length == 0 && prefix.Length > 0)))
        {
            error = $"the prefix '{prefix}' has an empty, '.' or '..' segment";
            return false;
        }

        options = new S3StorageOptions
        {
            Bucket = bucket,
            Prefix = prefix,
            Endpoint = endpoint,
            ForcePathStyle = pathStyle,
        };
        error = null;
        return true;
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }

    // Upper case and '_' are tolerated for legacy buckets and emulators.
    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]{1,254}$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^s3(?:[.-](?<region>[a-z0-9-]+))?\.amazonaws\.com$", RegexOptions.IgnoreCase)]
    private static partial Regex AwsHostRegion();
}
