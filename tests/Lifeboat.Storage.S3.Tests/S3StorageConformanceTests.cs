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

    protected override Task<IStorage> CreateStorageAsync() =>
        Task.FromResult<IStorage>(new S3Storage(fixture.Options() with { ListPageSize = 100 }));
}
