namespace Lifeboat.Storage.Tests;

/// <summary>The wrappers, stacked as the CLI stacks them, keep every backend guarantee.</summary>
public sealed class WrappedStorageConformanceTests : StorageConformanceTests
{
    protected override Task<IStorage> CreateStorageAsync() =>
        Task.FromResult<IStorage>(
            new RetryingStorage(
                new ConcurrencyLimitingStorage(
                    new BandwidthLimitingStorage(new FaultInjectingStorage(new InMemoryStorage()), 1L << 30, 1L << 30),
                    maxConcurrentOperations: 4)));

    [Fact]
    public async Task Temporary_file_cleanup_reaches_through_the_wrappers()
    {
        using var directory = new TemporaryDirectory();
        var local = new LocalFileStorage(directory.Path);
        await local.WriteAsync("config", new byte[] { 1 }, default);
        string leftover = Path.Combine(directory.Path, LocalFileStorage.TemporaryFilePrefix + "x");
        await File.WriteAllBytesAsync(leftover, new byte[] { 1 });
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddDays(-2));
        IStorage wrapped = new RetryingStorage(new ConcurrencyLimitingStorage(new BandwidthLimitingStorage(new FaultInjectingStorage(local), 1000, 1000), 2));

        int removed = await ((ITemporaryFileCleanup)wrapped).CleanupTemporaryFilesAsync(TimeSpan.FromDays(1), default);

        removed.Should().Be(1);
        (await ((ITemporaryFileCleanup)Storage).CleanupTemporaryFilesAsync(TimeSpan.Zero, default)).Should().Be(0);
    }
}
