using Lifeboat.Operations.Tests.Support;
using Lifeboat.Repository;
using Lifeboat.Repository.Check;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

public sealed class CopyTests
{
    private static readonly byte[] Big = TestRepositories.RandomBytes(3 * 1024 * 1024, 1);
    private static readonly byte[] SmallA = TestRepositories.RandomBytes(700 * 1024, 2);
    private static readonly byte[] SmallB = TestRepositories.RandomBytes(900 * 1024, 3);

    [Fact]
    public async Task A_copy_keeps_the_metadata_reads_unchanged_streams_once_and_both_repositories_check_clean()
    {
        var source = await TestRepositories.InitAsync(new InMemoryStorage("memory:source"), "source password");
        var target = await TestRepositories.InitAsync(new InMemoryStorage("memory:target"), "target password");
        var first = await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["big"] = Big, ["small"] = SmallA }, "nightly");
        var second = await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["big"] = Big, ["small"] = SmallB });

        var result = await CopyAsync(source, target);

        result.Copied.Should().Be(2);
        result.Snapshots[0].BytesRead.Should().Be(Big.Length + SmallA.Length);
        result.Snapshots[1].BytesRead.Should().Be(SmallB.Length, "the unchanged stream is found in the target and not read again");
        result.Snapshots[1].BytesReused.Should().Be(Big.Length);
        var copies = await SnapshotStore.LoadAllAsync(target, null, default);
        copies.Select(c => c.Snapshot.CopiedFrom).Should().Equal(first.Id.ToString(), second.Id.ToString());
        var original = first.Snapshot;
        copies[0].Snapshot.Should().BeEquivalentTo(
            new { original.Time, original.Host, original.User, original.Kind, original.Source, original.Tags, original.Summary, original.Program });
        copies[0].Snapshot.Streams.Select(s => (s.Name, s.Size, s.Sha256)).Should().Equal(original.Streams.Select(s => (s.Name, s.Size, s.Sha256)));
        (await TestRepositories.DumpAsync(target, copies[1], "big")).Should().Equal(Big);
        (await TestRepositories.DumpAsync(target, copies[1], "small")).Should().Equal(SmallB);
        (await CheckAsync(source)).Problems.Should().BeEmpty();
        (await CheckAsync(target)).Problems.Should().BeEmpty();
    }

    [Fact]
    public async Task Copy_text_copied_between_format_versions_is_stored_as_each_target_stores_it_and_reads_back()
    {
        var rows = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"{i}\tuser{i % 311}@example.com\t2026-12-02 03:{i % 60:00}:00+00\n")));
        var v2 = await TestRepositories.InitAsync(new InMemoryStorage("memory:v2"));
        var v1 = await BackupRepository.InitAsync(
            new InMemoryStorage("memory:v1"), TestRepositories.Password, TestRepositories.SmallOptions with { FormatVersion = 1 }, RepositoryContext.Default, default);
        var again = await TestRepositories.InitAsync(new InMemoryStorage("memory:v2 again"));
        await TestRepositories.BackupAsync(v2, new Dictionary<string, byte[]> { ["public.t"] = rows });

        await CopyAsync(v2, v1);
        await CopyAsync(v1, again);

        foreach (var (repository, columns) in new[] { (v2, true), (v1, false), (again, true) })
        {
            var entries = (await MasterIndex.LoadAsync(repository, default)).EntriesByPack().Values.SelectMany(e => e).ToList();
            entries.Any(e => e.Columns).Should().Be(columns, $"format {repository.Config.Version}");
            var copy = (await SnapshotStore.LoadAllAsync(repository, null, default)).Single();
            (await TestRepositories.DumpAsync(repository, copy, "public.t")).Should().Equal(rows);
            (await CheckAsync(repository)).Problems.Should().BeEmpty();
        }
    }

    [Fact]
    public async Task Copying_again_skips_every_snapshot_and_writes_nothing_but_its_audit_record()
    {
        var targetStorage = new InMemoryStorage("memory:target");
        var source = await TestRepositories.InitAsync(new InMemoryStorage("memory:source"));
        var target = await TestRepositories.InitAsync(targetStorage);
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["big"] = Big });
        await CopyAsync(source, target);
        var before = await TestRepositories.ObjectsAsync(targetStorage);

        var again = await CopyAsync(source, target);

        again.Copied.Should().Be(0);
        again.SkippedCount.Should().Be(1);
        again.BytesRead.Should().Be(0);
        var after = await TestRepositories.ObjectsAsync(targetStorage);
        after.Where(o => !o.StartsWith("audit/", StringComparison.Ordinal)).Should().Equal(before.Where(o => !o.StartsWith("audit/", StringComparison.Ordinal)));
        after.Count(o => o.StartsWith("audit/", StringComparison.Ordinal)).Should().Be(before.Count(o => o.StartsWith("audit/", StringComparison.Ordinal)) + 1);
    }

    [Fact]
    public async Task A_copy_of_a_copy_counts_as_the_original()
    {
        var a = await TestRepositories.InitAsync(new InMemoryStorage("memory:a"));
        var b = await TestRepositories.InitAsync(new InMemoryStorage("memory:b"));
        var c = await TestRepositories.InitAsync(new InMemoryStorage("memory:c"));
        var original = await TestRepositories.BackupAsync(a, new Dictionary<string, byte[]> { ["small"] = SmallA });
        await CopyAsync(a, b);
        await CopyAsync(a, c);

        var fromB = await CopyAsync(b, c);

        fromB.SkippedCount.Should().Be(1);
        (await SnapshotStore.LoadAllAsync(c, null, default)).Single().Snapshot.CopiedFrom.Should().Be(original.Id.ToString());
    }

    [Fact]
    public async Task Only_the_snapshots_named_are_copied()
    {
        var source = await TestRepositories.InitAsync(new InMemoryStorage("memory:source"));
        var target = await TestRepositories.InitAsync(new InMemoryStorage("memory:target"));
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["small"] = SmallA });
        var second = await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["small"] = SmallB });

        var result = await CopyAsync(source, target, second.Id.ToString()[..10]);

        result.Snapshots.Should().ContainSingle().Which.Source.Should().Be(second.Id.ToString());
    }

    [Fact]
    public async Task An_interrupted_copy_fails_with_the_storage_error_and_a_rerun_completes_it()
    {
        var source = await TestRepositories.InitAsync(new InMemoryStorage("memory:source"));
        var faults = new FaultInjectingStorage(new InMemoryStorage("memory:target"), seed: 5);
        var tripwire = new TripwireStorage(faults);
        var target = await TestRepositories.InitAsync(new RetryingStorage(tripwire, TestRepositories.FastRetries));
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["small"] = SmallA });
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["big"] = Big });
        tripwire.BeforeWrite = name =>
        {
            if (name.StartsWith("snapshots/", StringComparison.Ordinal))
            {
                tripwire.BeforeWrite = null;
                faults.FailNext(StorageOperation.Write, int.MaxValue, StorageErrorKind.Permanent);
            }
        };

        var failure = await FluentActions.Awaiting(() => CopyAsync(source, target)).Should().ThrowAsync<StorageException>();
        failure.Which.Message.Should().Contain("memory:target");
        (await SnapshotStore.ListIdsAsync(target, default)).Should().BeEmpty();
        faults.FailNext(StorageOperation.Write, 0);
        faults.SetFailureRate(0.10);

        var rerun = await CopyAsync(source, target);

        rerun.Copied.Should().Be(2);
        rerun.Snapshots[0].NewBytes.Should().Be(0, "the first attempt's packs and index were written; only its snapshot was missing");
        (await CheckAsync(target)).Problems.Should().BeEmpty();
    }

    [Fact]
    public async Task Copying_a_repository_into_itself_is_refused()
    {
        var storage = new InMemoryStorage("memory:one");
        var repository = await TestRepositories.InitAsync(storage);
        var again = await TestRepositories.OpenAsync(storage);

        await FluentActions.Awaiting(() => CopyAsync(repository, again)).Should().ThrowAsync<InvalidRequestException>().WithMessage("*same repository*");
    }

    [Fact]
    public async Task A_copy_reports_its_snapshots_and_bytes_as_it_goes_up_to_the_totals_of_its_result()
    {
        var source = await TestRepositories.InitAsync(new InMemoryStorage("memory:source"), "source password");
        var target = await TestRepositories.InitAsync(new InMemoryStorage("memory:target"), "target password");
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["big"] = Big });
        await TestRepositories.BackupAsync(source, new Dictionary<string, byte[]> { ["small"] = SmallA });
        var progress = new RecordingProgress<CopyProgress>();

        var result = await new RepositoryCopy(source, target, new CopyOptions(), progress).RunAsync(default);

        var reports = progress.Reports;
        reports.Should().OnlyContain(r => r.Target == "memory:target" && r.SnapshotsTotal == 2);
        // reports come from the threads that read, so two may arrive out of order; the counts only grow
        reports[0].SnapshotsDone.Should().Be(0);
        reports.Count(r => r.SnapshotsDone == 0 && r.BytesRead > 0).Should().BeGreaterThan(0, "the first snapshot's bytes are reported while it is copied");
        reports[^1].Should().Be(new CopyProgress("memory:target", 2, 2, result.BytesRead));
    }

    private static Task<CopyResult> CopyAsync(BackupRepository source, BackupRepository target, params string[] snapshots) =>
        new RepositoryCopy(source, target, new CopyOptions { Snapshots = snapshots }).RunAsync(default);

    private static Task<CheckReport> CheckAsync(BackupRepository repository) =>
        new RepositoryCheck(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, default);
}
