using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests;

/// <summary>
/// A restore that fails on damaged data leaves nothing that looks restored: the database it created
/// is gone, an existing target is empty again, and a table or row restore changed nothing.
/// </summary>
[Collection(DatabaseCollection.Name)]
public sealed class FailedRestoreTests(DatabaseFixture db) : IDisposable
{
    private const string Bulk = "data/public.bulk_events";
    private readonly string _directory = Directory.CreateTempSubdirectory("lifeboat-failed-restore-").FullName;

    [Fact]
    public async Task A_create_restore_failing_on_a_damaged_unsplit_table_leaves_neither_the_target_nor_its_staging_database()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, "data/public.notes", chunks => [chunks[0]]);
        var target = DatabaseFixture.NewName("failed");

        var failure = await FailAsync(RestoreAsync(repository, record, target, create: true));

        IsIntegrityError(failure.InnerException).Should().BeTrue(failure.InnerException?.ToString());
        failure.Message.Should().Contain("notes").And.Contain("Nothing was left behind");
        failure.Aftermath.LeftBehind.Should().Be("nothing");
        (await DatabasesNamedAsync(target)).Should().Be(0, "neither the target nor its staging database remains");
    }

    [Fact]
    public async Task A_create_restore_failing_in_the_last_part_of_a_split_table_leaves_no_database()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^1]]);
        var target = DatabaseFixture.NewName("failedlast");

        var failure = await FailAsync(RestoreAsync(repository, record, target, create: true));

        IsIntegrityError(failure.InnerException).Should().BeTrue(failure.InnerException?.ToString());
        failure.Aftermath.FailedStep.Should().Be("table data");
        (await DatabasesNamedAsync(target)).Should().Be(0);
    }

    [Fact]
    public async Task A_damaged_schema_stream_fails_the_restore_with_an_integrity_error_and_leaves_no_database()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Lifeboat.Postgres.StreamNames.Schema, chunks => [chunks[0]]);
        var target = DatabaseFixture.NewName("failedschema");

        var failure = await FailAsync(RestoreAsync(repository, record, target, create: true));

        IsIntegrityError(failure.InnerException).Should().BeTrue(failure.InnerException?.ToString());
        (await DatabasesNamedAsync(target)).Should().Be(0);
    }

    [Fact]
    public async Task A_truncated_pack_fails_the_restore_with_an_integrity_error_and_leaves_no_database()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.TruncatePackAsync(_directory, repository, record, Bulk);
        var target = DatabaseFixture.NewName("failedcut");

        // the cut pack may hold the manifest too: then the restore fails before it loads anything
        var failure = (await FluentActions.Awaiting(() => RestoreAsync(repository, record, target, create: true)).Should().ThrowAsync<Exception>()).Which;

        IsIntegrityError(failure is RestoreAbandonedException ? failure.InnerException : failure).Should().BeTrue(failure.ToString());
        (await DatabasesNamedAsync(target)).Should().Be(0);
    }

    [Fact]
    public async Task A_failed_restore_into_an_existing_empty_database_empties_it_again()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^2]]);
        var target = DatabaseFixture.NewName("failedexisting");
        await db.Cluster.CreateDatabaseAsync(target);

        var failure = await FailAsync(RestoreAsync(repository, record, target, create: false));

        IsIntegrityError(failure.InnerException).Should().BeTrue(failure.InnerException?.ToString());
        failure.Aftermath.LeftBehind.Should().Be("empty");
        failure.Message.Should().Contain("the database is empty again");
        (await db.Cluster.ScalarAsync<long>(
            """
            SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
            """, target)).Should().Be(0, "no table, index, view or sequence of the snapshot stays");
        (await db.Cluster.ScalarAsync<long>(
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%'",
            target)).Should().Be(0, "no schema of the snapshot stays");
    }

    [Fact]
    public async Task With_keep_failed_a_failed_create_restore_is_kept_under_the_target_name_and_marked_incomplete()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^2]]);
        var target = DatabaseFixture.NewName("failedkept");

        var failure = await FailAsync(RestoreAsync(repository, record, target, create: true, keepFailed: true));

        var left = failure.Aftermath;
        left.LeftBehind.Should().Be("kept");
        left.Database.Should().Be(target);
        left.TargetIncomplete.Should().BeTrue();
        left.TablesLoaded.Should().NotContain("public.bulk_events");
        left.TablesPartlyLoaded!.Concat(left.TablesNotLoaded!).Should().Contain("public.bulk_events");
        failure.Message.Should().Contain("KEPT INCOMPLETE").And.Contain("public.bulk_events");
        (await db.Cluster.ScalarAsync<string>(
            $"SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database WHERE datname = '{target}'"))
            .Should().StartWith("INCOMPLETE: a Lifeboat restore failed here");
        (await db.Cluster.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_catalog.pg_database WHERE datname = '{StagedDatabase.StagingName(target)}'")).Should().Be(0);
    }

    [Fact]
    public async Task A_table_restore_under_another_name_that_fails_on_damage_leaves_no_new_table()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^2]]);
        var live = await db.CloneAppAsync("failedas");

        var restore = () => RunAsync(repository, record, live, new TableRestoreOptions { Table = "public.bulk_events", AsName = "bulk_events_restored" });

        var thrown = await restore.Should().ThrowAsync<Exception>();
        IsIntegrityError(thrown.Which).Should().BeTrue(thrown.Which.ToString());
        (await db.Cluster.ScalarAsync<bool>("SELECT to_regclass('public.bulk_events_restored') IS NULL", live)).Should().BeTrue();
    }

    [Fact]
    public async Task A_swap_restore_that_fails_on_damage_leaves_the_live_table_in_place_and_alone()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^2]]);
        var live = await db.CloneAppAsync("failedswap");
        await db.Cluster.ExecuteAsync("DELETE FROM public.bulk_events WHERE id > 70000", live);
        const string Tables = "SELECT count(*) FROM pg_catalog.pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace";
        var tablesBefore = await db.Cluster.ScalarAsync<long>(Tables, live);

        var restore = () => RunAsync(repository, record, live, new TableRestoreOptions { Table = "public.bulk_events", Swap = true });

        var thrown = await restore.Should().ThrowAsync<Exception>();
        IsIntegrityError(thrown.Which).Should().BeTrue(thrown.Which.ToString());
        (await db.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.bulk_events", live)).Should().Be(70000, "the live table is untouched");
        (await db.Cluster.ScalarAsync<long>(Tables, live)).Should().Be(tablesBefore, "no half-loaded copy stays beside it");
    }

    [Fact]
    public async Task A_row_restore_that_fails_on_damage_leaves_the_live_table_unchanged()
    {
        var (repository, record) = await BackupAsync();
        await RepositoryDamage.FlipChunksAsync(_directory, repository, record, Bulk, chunks => [chunks[^2]]);
        var live = await db.CloneAppAsync("failedrows");
        await db.Cluster.ExecuteAsync("DELETE FROM public.bulk_events WHERE id <= 1000", live);

        var restore = () => new DatabaseRestore(new OpenedRepository(repository, "test")).RunAsync(
            new DatabaseRestoreRequest
            {
                Snapshot = record.Id.ToString(),
                Target = db.Connection(live),
                Mode = new RestoreMode.MatchingRows(new RowRestoreOptions { Table = "public.bulk_events", Where = "id <= 1000" }),
            },
            null, default);

        var thrown = await restore.Should().ThrowAsync<Exception>();
        IsIntegrityError(thrown.Which).Should().BeTrue(thrown.Which.ToString());
        (await db.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.bulk_events", live)).Should().Be(79000, "no row went in");
    }

    private async Task<(BackupRepository Repository, SnapshotRecord Record)> BackupAsync()
    {
        var repository = await TestRepositories.InitAsync(new LocalFileStorage(_directory));
        var record = (await new DatabaseBackup(new OpenedRepository(repository, "test"), new BackupWriterOptions { UploadConcurrency = 2 })
            .RunAsync(new DatabaseBackupRequest(db.Connection("app"), new CaptureOptions { Jobs = 2 }), null, default)).Record;
        return (repository, record);
    }

    private Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, SnapshotRecord record, string database, bool create, bool keepFailed = false) =>
        new DatabaseRestore(new OpenedRepository(repository, "test")).RunAsync(
            new DatabaseRestoreRequest
            {
                Snapshot = record.Id.ToString(),
                Target = db.Connection(database),
                Create = create,
                KeepFailed = keepFailed,
                // bulk_events (~7 MB) in 3 parts, the rest whole
                Mode = new RestoreMode.WholeDatabase { Verify = true, Options = new RestoreOptions { Jobs = 3, MinimumPartBytes = 1024 * 1024 } },
            },
            null, default);

    private Task<DatabaseRestoreResult> RunAsync(BackupRepository repository, SnapshotRecord record, string database, TableRestoreOptions table) =>
        new DatabaseRestore(new OpenedRepository(repository, "test")).RunAsync(
            new DatabaseRestoreRequest { Snapshot = record.Id.ToString(), Target = db.Connection(database), Mode = new RestoreMode.OneTable(table) },
            null, default);

    private static async Task<RestoreAbandonedException> FailAsync(Task<DatabaseRestoreResult> restore)
    {
        var failure = await FluentActions.Awaiting(() => restore).Should().ThrowAsync<RestoreAbandonedException>();
        return failure.Which;
    }

    /// <summary>A damaged blob (the repository's error) or a stream that does not match its manifest entry (the restore's): exit 3 both.</summary>
    private static bool IsIntegrityError(Exception? e) => e is IntegrityException or BackupIntegrityException;

    /// <summary>How many of the target and its staging database exist.</summary>
    private Task<long> DatabasesNamedAsync(string target) =>
        db.Cluster.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_catalog.pg_database WHERE datname IN ('{target}', '{StagedDatabase.StagingName(target)}')");

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
