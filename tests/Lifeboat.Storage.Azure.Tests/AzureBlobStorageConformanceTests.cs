using Lifeboat.Storage.Tests;

namespace Lifeboat.Storage.Azure.Tests;

/// <summary>The shared conformance suite against azurite, with small listing pages.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStorageConformanceTests(AzuriteFixture fixture) : StorageConformanceTests
{
    protected override int ManyObjectsCount => 400;

    protected override Task<IStorage> CreateStorageAsync() =>
        Task.FromResult<IStorage>(new AzureBlobStorage(fixture.Options() with { ListPageSize = 100 }));
}
