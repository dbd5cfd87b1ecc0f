namespace Lifeboat.Storage.Tests;

public sealed class InMemoryStorageTests : StorageConformanceTests
{
    protected override Task<IStorage> CreateStorageAsync() => Task.FromResult<IStorage>(new InMemoryStorage());

    [Fact]
    public void Location_names_the_store() => new InMemoryStorage("memory:test").Location.Should().Be("memory:test");
}
