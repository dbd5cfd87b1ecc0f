using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Check;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

public class MasterIndexTests
{
    [Fact]
    public async Task Two_backups_that_store_the_same_blobs_in_different_packs_still_pass_check()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, 5);

        // Both writers start from the same (empty) index, as two concurrent backups would.
        var first = new BackupWriter(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None), new BackupWriterOptions());
        var second = new BackupWriter(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None), new BackupWriterOptions());
        await first.AddStreamAsync("a", new MemoryStream(data), CancellationToken.None);
        await second.AddStreamAsync("a", new MemoryStream(data), CancellationToken.None);
        await first.CommitAsync(new SnapshotDescription("stream", "a", [], "test"), CancellationToken.None);
        await second.CommitAsync(new SnapshotDescription("stream", "a", [], "test"), CancellationToken.None);

        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var entries = index.EntriesByPack();
        entries.Values.Sum(e => e.Count).Should().Be(2 * index.BlobCount, "every blob is stored twice and both copies are listed");
        var report = await new Checker(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, CancellationToken.None);
        report.Problems.Should().BeEmpty();
    }
}
