using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

/// <summary>A big table restored from the repository in parts, on several connections at once.</summary>
[Collection(DatabaseCollection.Name)]
public sealed class PartedRestoreTests(DatabaseFixture db) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lifeboat-parts-").FullName;

    [Fact]
    public async Task A_table_loaded_in_parts_from_the_repository_has_every_row_and_verifies()
    {
        var repository = await TestRepositories.InitAsync(new LocalFileStorage(_directory));
        var record = await BackupAsync(repository);

        var progress = new RecordingProgress<RestoreProgress>();

        var restored = await RestoreAsync(repository, record, DatabaseFixture.NewName("parts"), progress);

        restored.Verification!.Ok.Should().BeTrue(string.Join("; ", restored.Verification.Mismatches));
        var reports = progress.Reports;
        reports.Select(r => r.Phase).Distinct().Should().Equal(RestorePhase.OpeningSnapshot, RestorePhase.Restoring, RestorePhase.Verifying);
        reports.Count(r => r.Phase == RestorePhase.Restoring).Should().BeGreaterThan(10, "the bytes are reported as the ~7 MB table loads");
        reports.Where(r => r.Phase != RestorePhase.OpeningSnapshot).Should().OnlyContain(r => r.BytesExpected == restored.Bytes);
        reports[^1].BytesRead.Should().BeGreaterThanOrEqualTo(restored.Bytes, "every data byte went to PostgreSQL before the verification");
        (await db.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.bulk_events", restored.Target.Split('/')[^1]))
            .Should().Be(80000);
        (await db.Cluster.ScalarAsync<long>("SELECT count(DISTINCT id) FROM public.bulk_events", restored.Target.Split('/')[^1]))
            .Should().Be(80000, "no row is loaded twice at a cut");
    }

    [Fact]
    public async Task A_damaged_chunk_in_one_part_fails_the_restore_with_an_integrity_error_naming_the_table()
    {
        var repository = await TestRepositories.InitAsync(new LocalFileStorage(_directory));
        var record = await BackupAsync(repository);
        // a chunk near the end: in the last part, not the first
        await DamageChunksAsync(repository, record, chunks => [chunks[^2]]);

        var restore = () => RestoreAsync(repository, record, DatabaseFixture.NewName("damaged"));

        var failure = await restore.Should().ThrowAsync<RestoreAbandonedException>();
        failure.Which.InnerException.Should().BeOfType<BackupIntegrityException>();
        failure.Which.Message.Should().Contain("\"public\".\"bulk_events\"").And.Contain("failed authentication");
        failure.Which.Aftermath.LeftBehind.Should().Be("nothing");
    }

    [Fact]
    public async Task A_table_damaged_where_its_parts_are_cut_fails_the_restore_with_an_integrity_error_naming_the_table()
    {
        var repository = await TestRepositories.InitAsync(new LocalFileStorage(_directory));
        var record = await BackupAsync(repository);
        // every chunk damaged: the first read to meet one is the planner's, at a cut, before any COPY
        await DamageChunksAsync(repository, record, chunks => chunks);

        var restore = () => RestoreAsync(repository, record, DatabaseFixture.NewName("damagedcut"));

        var failure = await restore.Should().ThrowAsync<RestoreAbandonedException>();
        failure.Which.InnerException.Should().BeOfType<BackupIntegrityException>();
        failure.Which.Message.Should().Contain("\"public\".\"bulk_events\"").And.Contain("failed authentication");
        failure.Which.Aftermath.LeftBehind.Should().Be("nothing");
    }

    private Task DamageChunksAsync(BackupRepository repository, SnapshotRecord record, Func<IReadOnlyList<ChunkRef>, IEnumerable<ChunkRef>> choose) =>
        RepositoryDamage.FlipChunksAsync(_directory, repository, record, "data/public.bulk_events", choose);

    private async Task<SnapshotRecord> BackupAsync(BackupRepository repository) =>
        (await new DatabaseBackup(new OpenedRepository(repository, "test"), new BackupWriterOptions { UploadConcurrency = 2 })
            .RunAsync(new DatabaseBackupRequest(db.Connection("app"), new CaptureOptions { Jobs = 2 }), null, default)).Record;

    private Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, SnapshotRecord record, string database, IProgress<RestoreProgress>? progress = null) =>
        new DatabaseRestore(new OpenedRepository(repository, "test")).RunAsync(
            new DatabaseRestoreRequest
            {
                Snapshot = record.Id.ToString(),
                Target = db.Connection(database),
                Create = true,
                // bulk_events (~7 MB) in 3 parts, the rest whole
                Mode = new RestoreMode.WholeDatabase { Verify = true, Options = new RestoreOptions { Jobs = 3, MinimumPartBytes = 1024 * 1024 } },
            },
            progress, default);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
