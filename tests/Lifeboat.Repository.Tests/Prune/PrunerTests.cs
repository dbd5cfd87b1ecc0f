using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Check;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Prune;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests.Prune;

public class PrunerTests
{
    [Fact]
    public async Task Prune_after_forgetting_most_snapshots_shrinks_the_repository_and_the_rest_restore_identically()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var snapshots = await PruneTestData.FillAsync(repository, 8);
        var kept = snapshots.Where((_, i) => i is 0 or 4 or 7).ToList();
        foreach (var (record, _) in snapshots.Except(kept))
        {
            await PruneTestData.ForgetAsync(repository, record);
        }

        var before = await TestRepository.StoredBytesAsync(storage);

        var report = await PruneTestData.PruneAsync(repository, maxUnused: 0);

        var after = await TestRepository.StoredBytesAsync(storage);
        // Each forgotten snapshot alone holds its 100 KB random tail (the rest is shared with its
        // neighbours, depending on where the keyed chunker cuts): at least that much must go.
        after.Should().BeLessThan(before - (5 * 80_000));
        report.RepositoryBytesBefore.Should().Be(before);
        report.RepositoryBytesAfter.Should().Be(after);
        report.PacksRepacked.Should().BePositive("the first snapshot's packs also hold blobs only forgotten snapshots used");
        report.UnusedBytesAfter.Should().Be(0);
        await PruneTestData.VerifyAsync(repository, kept);
        var again = await PruneTestData.PruneAsync(repository, maxUnused: 0);
        again.NothingToDo.Should().BeTrue();
        again.RepositoryBytesAfter.Should().Be(after);
    }

    [Fact]
    public async Task The_unused_share_left_behind_stays_within_max_unused()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var snapshots = await PruneTestData.FillAsync(repository, 6, seed: 2);
        foreach (var (record, _) in snapshots.Where((_, i) => i % 2 == 1))
        {
            await PruneTestData.ForgetAsync(repository, record);
        }

        var report = await PruneTestData.PruneAsync(repository, maxUnused: 0.10);

        report.UnusedBytesAfter.Should().BeLessThanOrEqualTo((long)(report.UsedBytes * 0.10 / 0.90) + 1);
        report.UnusedBytesBefore.Should().BeGreaterThan(report.UnusedBytesAfter);
        await PruneTestData.VerifyAsync(repository, snapshots.Where((_, i) => i % 2 == 0));
    }

    [Fact]
    public async Task Prune_removes_the_temporary_files_of_interrupted_writes_once_old_and_leaves_young_ones()
    {
        var directory = Directory.CreateTempSubdirectory("lifeboat-prune-");
        try
        {
            var repository = await TestRepository.InitAsync(new LocalFileStorage(directory.FullName));
            await TestRepository.BackupAsync(repository, "data.bin", TestRepository.RandomBytes(50_000, 7));
            var stale = Path.Combine(directory.FullName, "data", LocalFileStorage.TemporaryFilePrefix + "killed");
            var young = Path.Combine(directory.FullName, "data", LocalFileStorage.TemporaryFilePrefix + "in-progress");
            await File.WriteAllBytesAsync(stale, [1, 2, 3]);
            await File.WriteAllBytesAsync(young, [4]);
            File.SetLastWriteTimeUtc(stale, DateTime.UtcNow - TimeSpan.FromHours(2));

            var report = await PruneTestData.PruneAsync(repository);

            report.TemporaryFilesRemoved.Should().Be(1);
            File.Exists(stale).Should().BeFalse();
            File.Exists(young).Should().BeTrue("younger than PruneOptions.TemporaryFileAge, it may be a write in progress");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Packs_left_by_an_interrupted_backup_are_removed()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var snapshots = await PruneTestData.FillAsync(repository, 1);
        var interrupted = new BackupWriter(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None), new BackupWriterOptions { UploadConcurrency = 1 });
        await interrupted.AddStreamAsync("other", new MemoryStream(TestRepository.RandomBytes(4_000_000, 77)), CancellationToken.None);
        await Task.Delay(200); // let the background uploads of full packs land; never committed
        var check = await new Checker(repository).RunAsync(new CheckOptions(), CancellationToken.None);
        check.UnreferencedPacks.Should().BePositive();

        var report = await PruneTestData.PruneAsync(repository);

        report.UnreferencedPacksDeleted.Should().Be(check.UnreferencedPacks);
        (await new Checker(repository).RunAsync(new CheckOptions(), CancellationToken.None)).UnreferencedPacks.Should().Be(0);
        await PruneTestData.VerifyAsync(repository, snapshots);
    }

    [Fact]
    public async Task Prune_removes_nothing_when_a_snapshot_needs_data_that_is_missing()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var snapshots = await PruneTestData.FillAsync(repository, 3);
        await PruneTestData.ForgetAsync(repository, snapshots[1].Record);
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        index.TryGet(BlobId.Parse(snapshots[0].Record.Snapshot.Streams[0].Trees[0]), out var tree).Should().BeTrue();
        var lost = index.PackOf(tree);
        await storage.DeleteAsync(Pack.ObjectName(lost), CancellationToken.None);
        var objects = await NamesAsync(storage);

        var act = () => PruneTestData.PruneAsync(repository);

        (await act.Should().ThrowAsync<IntegrityException>()).WithMessage("*nothing was removed*");
        (await NamesAsync(storage)).Should().Equal(objects);
    }

    [Fact]
    public async Task A_dry_run_changes_nothing_and_predicts_the_space_freed()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var snapshots = await PruneTestData.FillAsync(repository, 4, seed: 3);
        await PruneTestData.ForgetAsync(repository, snapshots[0].Record);
        await PruneTestData.ForgetAsync(repository, snapshots[2].Record);
        var objects = await NamesAsync(storage);

        var predicted = await new Pruner(repository).RunAsync(new PruneOptions { DryRun = true, MaxUnused = 0 }, CancellationToken.None);

        (await NamesAsync(storage)).Should().Equal(objects);
        var actual = await PruneTestData.PruneAsync(repository, maxUnused: 0);
        predicted.PacksRepacked.Should().Be(actual.PacksRepacked);
        predicted.UnusedPacksDeleted.Should().Be(actual.UnusedPacksDeleted);
        ((double)predicted.BytesFreed).Should().BeApproximately(actual.BytesFreed, actual.BytesFreed * 0.05);
    }

    private static async Task<List<string>> NamesAsync(IStorage storage)
    {
        var names = new List<string>();
        await foreach (var info in storage.ListAsync("", CancellationToken.None))
        {
            names.Add(info.Name);
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    [Fact]
    public async Task Prune_reports_each_phase_in_order_and_counts_the_packs_it_repacks_and_removes_up_to_their_total()
    {
        var repository = await TestRepository.InitAsync(new InMemoryStorage());
        var snapshots = await PruneTestData.FillAsync(repository, 4, seed: 3);
        await PruneTestData.ForgetAsync(repository, snapshots[1].Record);
        await PruneTestData.ForgetAsync(repository, snapshots[2].Record);
        var progress = new RecordedProgress();

        var report = await new Pruner(repository, progress).RunAsync(new PruneOptions { MaxUnused = 0 }, CancellationToken.None);

        progress.Reports.Select(r => r.Phase).Distinct().Should().Equal(
            "reading index", "reading snapshots", "finding used data", "repacking", "writing the new index",
            "removing the old index", "removing packs", "removing temporary files", "done");
        var repacking = progress.Reports.Where(r => r.Phase == "repacking").ToList();
        repacking.Should().OnlyContain(r => r.Total == report.PacksRepacked);
        repacking.Select(r => r.Done).Should().Equal(Enumerable.Range(0, report.PacksRepacked + 1));
        var removing = progress.Reports.Where(r => r.Phase == "removing packs").ToList();
        var removed = report.PacksRepacked + report.UnusedPacksDeleted + report.UnreferencedPacksDeleted;
        removing.Should().OnlyContain(r => r.Total == removed);
        removing.Select(r => r.Done).Should().Equal(Enumerable.Range(0, removed + 1));
        report.PacksRepacked.Should().BePositive();
    }

    [Fact]
    public async Task A_dry_run_reports_only_the_phases_that_decide()
    {
        var repository = await TestRepository.InitAsync(new InMemoryStorage());
        var snapshots = await PruneTestData.FillAsync(repository, 3, seed: 4);
        await PruneTestData.ForgetAsync(repository, snapshots[1].Record);
        var progress = new RecordedProgress();

        await new Pruner(repository, progress).RunAsync(new PruneOptions { MaxUnused = 0, DryRun = true }, CancellationToken.None);

        progress.Reports.Select(r => r.Phase).Should().Equal("reading index", "reading snapshots", "finding used data", "done");
    }

    /// <summary>Keeps every report, in the order they came (a <see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class RecordedProgress : IProgress<PruneProgress>
    {
        private readonly List<PruneProgress> _reports = [];

        public IReadOnlyList<PruneProgress> Reports
        {
            get
            {
                lock (_reports)
                {
                    return [.. _reports];
                }
            }
        }

        public void Report(PruneProgress value)
        {
            lock (_reports)
            {
                _reports.Add(value);
            }
        }
    }
}
