using System.Diagnostics;
using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

/// <summary>
/// <see cref="DatabaseBackup"/> owns its work: it prepares the capture while it opens the repository,
/// discards that preparation when the repository does not open, and opens and copies to the
/// <c>--also-to</c> repositories (<see cref="SnapshotCopies"/>), keeping each failure with its exception.
/// </summary>
[Collection(DatabaseCollection.Name)]
public sealed class BackupTests(DatabaseFixture db) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lifeboat-backup-").FullName;

    [Fact]
    public async Task A_backup_whose_repository_fails_to_open_closes_the_connection_it_prepared_the_capture_on()
    {
        var database = await db.CloneAppAsync("unopened");
        var opener = new TestOpener("wrong", async ct =>
        {
            // fail only once the preparation is done: its connection idles in the snapshot's transaction, tables locked
            await WaitForAsync(async () => await BackendsAsync(database, "AND state = 'idle in transaction'") > 0, TimeSpan.FromSeconds(30), "the capture should be prepared while the repository opens");
            throw new WrongPasswordException("wrong password");
        });

        var backup = () => new DatabaseBackup(opener, new BackupWriterOptions())
            .RunAsync(new DatabaseBackupRequest(db.Connection(database), new CaptureOptions { Jobs = 2 }), null, default);

        await backup.Should().ThrowAsync<WrongPasswordException>();
        // at once, not when the garbage collector happens to close a forgotten socket
        await WaitForAsync(async () => await BackendsAsync(database) == 0, TimeSpan.FromSeconds(3), "the prepared capture is discarded: its transaction ends, its connection closes");
    }

    [Fact]
    public async Task The_copies_of_a_backup_carry_the_exception_of_the_repository_that_failed_and_the_others_get_the_snapshot()
    {
        var primary = await TestRepositories.InitAsync(new LocalFileStorage(Path.Combine(_directory, "primary")));
        var otherStorage = new LocalFileStorage(Path.Combine(_directory, "other"));
        await TestRepositories.InitAsync(otherStorage);
        var refused = new TestOpener("locked-out", _ => TestRepositories.OpenAsync(otherStorage, "not the password"));
        var other = new TestOpener("other", _ => TestRepositories.OpenAsync(otherStorage));
        var progress = new List<BackupProgress>();

        var result = await new DatabaseBackup(new OpenedRepository(primary, "test"), new BackupWriterOptions())
            .RunAsync(
                new DatabaseBackupRequest(db.Connection("app"), new CaptureOptions { Jobs = 2, Tables = ["public.profiles"] }) { AlsoTo = [refused, other] },
                new Recorder(progress), default);
        var outcomes = await result.Copies.RunAsync(new CopyOptions(), null, default);

        result.Copies.Any.Should().BeTrue();
        result.Manifest.Tables.Should().ContainSingle(t => t.Name == "profiles");
        progress.Should().NotBeEmpty().And.Contain(p => p.TablesDone == p.TablesTotal && p.TablesTotal == 1);
        outcomes.Select(o => o.Location).Should().Equal("locked-out", "other");
        outcomes[0].Succeeded.Should().BeFalse();
        outcomes[0].Failure.Should().BeOfType<WrongPasswordException>();
        outcomes[0].Message.Should().Be(
            $"snapshot {result.Record.ShortId} is saved in {primary.Storage.Location}, but copying it to locked-out failed: {outcomes[0].Failure!.Message}");
        outcomes[1].Succeeded.Should().BeTrue();
        outcomes[1].Failure.Should().BeNull();
        var copied = await SnapshotStore.ListIdsAsync(await TestRepositories.OpenAsync(otherStorage), default);
        copied.Should().ContainSingle().Which.ToString().Should().Be(outcomes[1].Snapshot);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<long> BackendsAsync(string database, string condition = "") =>
        db.Cluster.ScalarAsync<long>($"SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = '{database}' {condition}");

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            clock.Elapsed.Should().BeLessThan(timeout, because);
            await Task.Delay(50);
        }
    }

    private sealed class TestOpener(string location, Func<CancellationToken, Task<BackupRepository>> open) : IRepositoryOpener
    {
        public string Location => location;

        public Task<BackupRepository> OpenAsync(CancellationToken cancellationToken) => open(cancellationToken);
    }

    private sealed class Recorder(List<BackupProgress> records) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value)
        {
            lock (records)
            {
                records.Add(value);
            }
        }
    }
}
