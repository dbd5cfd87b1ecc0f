using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Lifeboat.Testing.Emulators;

/// <summary>
/// An s3rver (npm <c>s3rver@3.7.1</c>) S3 emulator on a free 127.0.0.1 port with its data in a temp
/// directory; disposing it kills the process and removes the directory. It runs through
/// <c>tests/emulators/s3rver-launch.js</c>, which adds conditional writes (<c>If-None-Match: *</c>,
/// unless <c>conditionalWrites</c> is false) and enables the OpenSSL legacy provider that s3rver's
/// ListObjectsV2 continuation tokens need on Node 20. s3rver accepts only the
/// key pair <see cref="AccessKey"/>/<see cref="SecretKey"/>, and clients must use path-style
/// addressing, checksum mode when_required and no aws-chunked bodies (it stores the chunk framing verbatim).
/// </summary>
public sealed class S3rverEmulator : IAsyncDisposable
{
    /// <summary>The only access key id s3rver accepts.</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>The only secret access key s3rver accepts (a well-known test value, not a secret).</summary>
    public const string SecretKey = "S3RVER";

    /// <summary>The bucket created at startup.</summary>
    public const string DefaultBucket = "lifeboat";

    private readonly ChildProcess _process;
    private readonly string _directory;

    private S3rverEmulator(ChildProcess process, int port, string directory)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>The port s3rver listens on.</summary>
    public int Port { get; }

    /// <summary>The service endpoint, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>
    /// Starts s3rver with <see cref="DefaultBucket"/> and waits until it accepts connections.
    /// <paramref name="denyBucketCreation"/> answers CreateBucket with 403 AccessDenied (credentials without s3:CreateBucket);
    /// <paramref name="listOnlyUnderPrefix"/> answers a listing without a prefix with 403 AccessDenied (s3:ListBucket limited to a prefix).
    /// </summary>
    public static async Task<S3rverEmulator> StartAsync(
        bool conditionalWrites = true, CancellationToken cancellationToken = default, bool denyBucketCreation = false, bool listOnlyUnderPrefix = false)
    {
        TestEnvironment.NpmBinary("s3rver");
        var launcher = Path.Combine(TestEnvironment.EmulatorsDirectory(), "s3rver-launch.js");
        var directory = TestEnvironment.CreateTempDirectory("s3rver");
        try
        {
            var (process, port) = await TestEnvironment.StartOnFreePortAsync(
                port => ChildProcess.Start(
                    "node",
                    ["--openssl-legacy-provider", launcher, "-d", directory,
                     "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bucket", DefaultBucket,
                     .. conditionalWrites ? Array.Empty<string>() : ["--no-conditional-writes"],
                     .. denyBucketCreation ? ["--deny-bucket-creation"] : Array.Empty<string>(),
                     .. listOnlyUnderPrefix ? ["--list-only-under-prefix"] : Array.Empty<string>()],
                    directory),
                TimeSpan.FromSeconds(30),
                cancellationToken);
            return new S3rverEmulator(process, port, directory);
        }
        catch
        {
            TestEnvironment.DeleteDirectoryQuietly(directory);
            throw;
        }
    }

    /// <summary>A repository URL for the Lifeboat S3 backend: <c>s3:http://127.0.0.1:PORT/bucket/prefix</c>.</summary>
    public string RepositoryUrl(string prefix, string bucket = DefaultBucket) =>
        $"s3:{Endpoint.GetLeftPart(UriPartial.Authority)}/{bucket}/{prefix}";

    /// <summary>An SDK client configured the way s3rver needs.</summary>
    public AmazonS3Client CreateClient() =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            UseHttp = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>Creates another bucket.</summary>
    public async Task CreateBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var client = CreateClient();
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
    }

    /// <summary>Stops s3rver and removes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        TestEnvironment.DeleteDirectoryQuietly(_directory);
    }
}
