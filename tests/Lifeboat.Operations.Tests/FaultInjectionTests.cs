using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Check;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

/// <summary>
/// Issue 4's resilience proofs at the operations level: a real database backed up and restored
/// (with verification) through storage that fails, then check --read-data.
/// </summary>
[Collection(DatabaseCollection.Name)]
public sealed class FaultInjectionTests(DatabaseFixture db) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lifeboat-faults-").FullName;

    [Fact]
    public async Task A_database_backup_and_a_verified_restore_complete_with_ten_percent_of_storage_calls_failing()
    {
        var faults = new FaultInjectingStorage(new LocalFileStorage(_directory), seed: 10);
        faults.SetFailureRate(0.10);
        var repository = await TestRepositories.InitAsync(new RetryingStorage(faults, TestRepositories.FastRetries));

        var record = await BackupAsync(repository, "app");
        var restore = await RestoreAsync(repository, record);
        var report = await new RepositoryCheck(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, default);

        faults.InjectedFaults.Should().BeGreaterThan(20, "about one call in ten failed");
        record.Snapshot.Summary.NewPacks.Should().BeGreaterThan(2);
        restore.Verification!.Ok.Should().BeTrue();
        report.Problems.Should().BeEmpty();
        report.PacksRead.Should().Be(report.Packs);
    }

    [Fact]
    public async Task Writes_whose_responses_are_lost_are_retried_into_a_consistent_repository()
    {
        var faults = new FaultInjectingStorage(new LocalFileStorage(_directory), seed: 11) { LostWriteResponseRate = 0.30 };
        faults.SetFailureRate(0.05);
        var repository = await TestRepositories.InitAsync(new RetryingStorage(faults, TestRepositories.FastRetries));

        var record = await BackupAsync(repository, "app");
        var restore = await RestoreAsync(repository, record);
        var report = await new RepositoryCheck(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, default);

        faults.LostWriteResponses.Should().BeGreaterThan(0);
        restore.Verification!.Ok.Should().BeTrue();
        report.Problems.Should().BeEmpty();
    }

    [Fact]
    public async Task A_permanent_failure_mid_backup_fails_it_with_a_clear_message_and_leaves_the_repository_consistent()
    {
        var database = await db.CloneAppAsync("grows");
        var faults = new FaultInjectingStorage(new LocalFileStorage(_directory), seed: 12);
        var tripwire = new TripwireStorage(faults);
        var repository = await TestRepositories.InitAsync(new RetryingStorage(tripwire, TestRepositories.FastRetries));
        var first = await BackupAsync(repository, database);
        await db.Cluster.ExecuteAsync(
            "INSERT INTO public.bulk_events SELECT g, md5(g::text)::uuid, md5((g * 3)::text) FROM generate_series(200001, 300000) g", database);
        var packWrites = 0;
        tripwire.BeforeWrite = name =>
        {
            if (name.StartsWith("data/", StringComparison.Ordinal) && Interlocked.Increment(ref packWrites) == 2)
            {
                faults.FailNext(StorageOperation.Write, int.MaxValue, StorageErrorKind.Permanent); // e.g. credentials revoked
            }
        };

        var failure = await FluentActions.Awaiting(() => BackupAsync(repository, database)).Should().ThrowAsync<StorageException>();

        failure.Which.Kind.Should().Be(StorageErrorKind.Permanent);
        failure.Which.Message.Should().Contain(_directory).And.Contain("data/");
        faults.FailNext(StorageOperation.Write, 0);
        tripwire.BeforeWrite = null;
        var report = await new RepositoryCheck(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, default);
        report.Problems.Should().BeEmpty("a failed backup leaves only unreferenced data");
        (await SnapshotStore.ListIdsAsync(repository, default)).Should().Equal(first.Id);
        (await Locks.ListAsync(repository, default)).Should().BeEmpty("the failed backup released its lock");
        (await RestoreAsync(repository, first)).Verification!.Ok.Should().BeTrue("the previous snapshot still restores");
    }

    private async Task<SnapshotRecord> BackupAsync(BackupRepository repository, string database) =>
        (await new DatabaseBackup(new OpenedRepository(repository, "test"), new BackupWriterOptions { UploadConcurrency = 2 })
            .RunAsync(new DatabaseBackupRequest(db.Connection(database), new CaptureOptions { Jobs = 2 }), null, default)).Record;

    private Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, SnapshotRecord record) =>
        new DatabaseRestore(new OpenedRepository(repository, "test")).RunAsync(
            new DatabaseRestoreRequest
            {
                Snapshot = record.Id.ToString(),
                Target = db.Connection(DatabaseFixture.NewName("restored")),
                Create = true,
                Mode = new RestoreMode.WholeDatabase { Verify = true, Options = new RestoreOptions { Jobs = 2 } },
            },
            null, default);

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
