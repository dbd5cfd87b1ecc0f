using Lifeboat.Repository.Prune;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests.Prune;

public class PruneCrashTests
{
    [Fact]
    public async Task A_prune_that_dies_after_any_write_or_delete_leaves_every_snapshot_restorable_and_a_rerun_completes()
    {
        var template = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(template);
        var snapshots = await PruneTestData.FillAsync(repository, 6, seed: 4);
        var kept = snapshots.Where((_, i) => i is 1 or 4 or 5).ToList();
        foreach (var (record, _) in snapshots.Except(kept))
        {
            await PruneTestData.ForgetAsync(repository, record);
        }

        // Count the writes and deletes of a complete prune, then die after each of them in turn.
        var counting = new CrashingStorage(await PruneTestData.CopyAsync(template), int.MaxValue);
        await PruneTestData.PruneAsync(await OpenAsync(counting), maxUnused: 0);
        var mutations = counting.Mutations;
        mutations.Should().BeGreaterThan(10);

        for (var allowed = 0; allowed < mutations; allowed++)
        {
            var storage = await PruneTestData.CopyAsync(template);
            var crashing = new CrashingStorage(storage, allowed);
            var act = async () => await PruneTestData.PruneAsync(await OpenAsync(crashing), maxUnused: 0);
            await act.Should().ThrowAsync<SimulatedCrashException>();

            var survivor = await OpenAsync(storage);
            await PruneTestData.VerifyAsync(survivor, kept, $"after dying at mutation {allowed} of {mutations}");
            var rerun = await PruneTestData.PruneAsync(survivor, maxUnused: 0);
            rerun.UnusedBytesAfter.Should().Be(0);
            var third = await PruneTestData.PruneAsync(survivor, maxUnused: 0);
            third.NothingToDo.Should().BeTrue($"the rerun after dying at mutation {allowed} completes the work");
            third.PacksBefore.Should().Be(third.PacksAfter);
            await PruneTestData.VerifyAsync(survivor, kept, $"after the rerun following mutation {allowed}");
        }
    }

    private static Task<BackupRepository> OpenAsync(IStorage storage) =>
        BackupRepository.OpenAsync(storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None);
}
