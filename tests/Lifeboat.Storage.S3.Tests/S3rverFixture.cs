using Amazon.Runtime;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Storage.S3.Tests;

/// <summary>One s3rver for all S3 tests of this assembly; each test uses its own key prefix.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    private S3rverEmulator? _emulator;

    public S3rverEmulator Emulator => _emulator ?? throw new InvalidOperationException("s3rver is not started");

    public async Task InitializeAsync() => _emulator = await S3rverEmulator.StartAsync();

    public async Task DisposeAsync()
    {
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    /// <summary>Options for a fresh prefix in the default bucket, configured as s3rver needs.</summary>
    public S3StorageOptions Options(string? prefix = null) =>
        S3RepositoryUrl.Parse(Emulator.RepositoryUrl(prefix ?? $"t-{Guid.NewGuid():N}")) with
        {
            Credentials = new BasicAWSCredentials(S3rverEmulator.AccessKey, S3rverEmulator.SecretKey),
            ChecksumMode = S3ChecksumMode.WhenRequired,
            UseChunkEncoding = false,
            SdkMaxRetries = 0,
        };
}

[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}
