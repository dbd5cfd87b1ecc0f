using Lifeboat.Repository.Stats;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests.Prune;

public class StatsTests
{
    [Fact]
    public async Task The_same_stream_backed_up_twice_doubles_the_size_before_dedup_but_not_the_stored_size()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var data = TestRepository.RandomBytes(2_000_000, 11);
        await TestRepository.BackupAsync(repository, "db", data);
        await TestRepository.BackupAsync(repository, "db", data);

        var stats = await RepositoryStatistics.ComputeAsync(repository, CancellationToken.None);

        stats.Snapshots.Should().Be(2);
        stats.SizeBeforeDedup.Should().Be(4_000_000);
        stats.UsedBytes.Should().BeInRange(2_000_000, 2_020_000, "random data does not compress; sealing adds a little");
        stats.Ratio.Should().BeInRange(1.98, 2.0);
        stats.PerSnapshot.Select(s => s.UniqueBytes).Should().Equal(0, 0);
        stats.GarbageBytes.Should().Be(0);
        stats.TotalStoredBytes.Should().Be(await TestRepository.StoredBytesAsync(storage));
    }

    [Fact]
    public async Task Unique_size_and_garbage_follow_forget_and_prune()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var shared = TestRepository.RandomBytes(1_000_000, 12);
        var first = await TestRepository.BackupAsync(repository, "db", shared);
        var second = await TestRepository.BackupAsync(repository, "db", [.. shared, .. TestRepository.RandomBytes(1_000_000, 13)]);

        var stats = await RepositoryStatistics.ComputeAsync(repository, CancellationToken.None);
        stats.PerSnapshot[0].UniqueBytes.Should().BeLessThan(300_000, "only the tree and the last chunk of the first differ");
        stats.PerSnapshot[1].UniqueBytes.Should().BeInRange(900_000, 1_400_000);

        await PruneTestData.ForgetAsync(repository, second);
        var afterForget = await RepositoryStatistics.ComputeAsync(repository, CancellationToken.None);
        afterForget.UnusedBlobBytes.Should().Be(stats.PerSnapshot[1].UniqueBytes, "what only the forgotten snapshot used is now garbage");
        afterForget.PerSnapshot.Single().UniqueBytes.Should().Be(afterForget.UsedBytes);

        await PruneTestData.PruneAsync(repository, maxUnused: 0);
        var afterPrune = await RepositoryStatistics.ComputeAsync(repository, CancellationToken.None);
        afterPrune.GarbageBytes.Should().Be(0);
        afterPrune.UsedBytes.Should().Be(afterForget.UsedBytes);
        afterPrune.PerSnapshot.Single().Id.Should().Be(first.Id.ToString());
    }
}
