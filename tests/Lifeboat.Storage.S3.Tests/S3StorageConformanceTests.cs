using Amazon.S3.Model;
using Lifeboat.Storage.Tests;

namespace Lifeboat.Storage.S3.Tests;

/// <summary>
/// The shared conformance suite against s3rver. Listing pages are shrunk to 100 keys so that
/// pagination is exercised with 400 objects (s3rver stores about 70 objects a second here).
/// </summary>
[Collection(S3rverCollection.Name)]
public sealed class S3StorageConformanceTests(S3rverFixture fixture) : StorageConformanceTests
{
    protected override int ManyObjectsCount => 400;

    private S3StorageOptions? _options;

    protected override Task<IStorage> CreateStorageAsync()
    {
        _options = fixture.Options() with { ListPageSize = 100 };
        return Task.FromResult<IStorage>(new S3Storage(_options));
    }

    /// <summary>A killed multipart upload: initiated, one part sent, never completed.</summary>
    protected override async Task<bool> LeaveInterruptedWriteAsync(string name)
    {
        using var client = fixture.Emulator.CreateClient();
        var key = _options!.Prefix + "/" + name;
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key });
        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            UploadId = upload.UploadId,
            PartNumber = 1,
            InputStream = new MemoryStream(RandomBytes(1000)),
            UseChunkEncoding = false,
        });
        return true;
    }
}
