using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

[Collection(SupabaseCollection.Name)]
public sealed class SelectiveRestoreTests(SupabaseFixture fixture)
{
    private async Task<string> LiveCopyAsync(string prefix)
    {
        var db = await fixture.NewDatabaseAsync(prefix);
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(db), new RestoreOptions { Jobs = 2, Analyze = false }, default);
        return db;
    }

    [Fact]
    public async Task One_table_is_restored_side_by_side_under_another_name_and_into_another_schema()
    {
        var db = await LiveCopyAsync("side");
        await fixture.Cluster.ExecuteAsync("DELETE FROM public.order_items WHERE tenant_id = 2", db);
        var restore = new PostgresRestore();

        var asName = await restore.RestoreTableAsync(fixture.Store, fixture.Manifest, fixture.Connection(db),
            new TableRestoreOptions { Table = "public.order_items", AsName = "order_items_restored" }, default);
        var intoSchema = await restore.RestoreTableAsync(fixture.Store, fixture.Manifest, fixture.Connection(db),
            new TableRestoreOptions { Table = "storage.objects", IntoSchema = "recovered" }, default);

        asName.Rows.Should().Be(360);
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.order_items_restored", db)).Should().Be(360);
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.order_items", db)).Should().Be(240, "the live table is untouched");
        intoSchema.Destination.Should().Be("\"recovered\".\"objects\"");
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM recovered.objects WHERE path_tokens[1] = 'folder'", db)).Should().Be(500, "generated columns are recomputed");
    }

    [Fact]
    public async Task Restoring_over_an_existing_table_is_refused_and_swap_replaces_it_atomically()
    {
        var db = await LiveCopyAsync("swap");
        await fixture.Cluster.ExecuteAsync("DELETE FROM public.events_log WHERE kind = 'k0'", db);
        var restore = new PostgresRestore();
        var refused = () => restore.RestoreTableAsync(fixture.Store, fixture.Manifest, fixture.Connection(db), new TableRestoreOptions { Table = "events_log" }, default);
        (await refused.Should().ThrowAsync<TargetNotEmptyException>()).Which.Message.Should().Contain("--swap");

        var swapped = await restore.RestoreTableAsync(fixture.Store, fixture.Manifest, fixture.Connection(db), new TableRestoreOptions { Table = "events_log", Swap = true }, default);

        swapped.PreviousTableRenamedTo.Should().Be("\"public\".\"events_log_before_restore\"");
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.events_log", db)).Should().Be(455);
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.events_log_before_restore", db)).Should().BeLessThan(455);
        var checksum = await PostgresVerifier.ComputeChecksumsAsync(fixture.Connection(db), [fixture.Manifest.Tables.Single(t => t.Name == "events_log")], default);
        checksum[0].Sha256.Should().Be(fixture.Manifest.Tables.Single(t => t.Name == "events_log").Sha256);
    }

    [Fact]
    public async Task A_dropped_table_is_recreated_from_the_backup_schema()
    {
        var db = await LiveCopyAsync("dropped");
        await fixture.Cluster.ExecuteAsync("DROP TABLE \"My Schema\".\"odd \"\"name\"\" with spaces\"", db);
        var result = await new PostgresRestore().RestoreTableAsync(fixture.Store, fixture.Manifest, fixture.Connection(db),
            new TableRestoreOptions { Table = "My Schema.odd \"name\" with spaces" }, default);
        result.Rows.Should().Be(2);
        (await fixture.Cluster.ScalarAsync<string>("SELECT \"a.b\" FROM \"My Schema\".\"odd \"\"name\"\" with spaces\" WHERE \"select\" = 2", db)).Should().Be("back\\slash");
    }

    [Fact]
    public async Task Single_rows_are_restored_with_on_conflict_skip_or_update_and_changes_are_reported()
    {
        var db = await LiveCopyAsync("rows");
        await fixture.Cluster.ExecuteAsync("""
            DELETE FROM public.profiles WHERE username IN ('user_7', 'user_8');
            UPDATE public.profiles SET bio = 'vandalised' WHERE username = 'user_9';
            """, db);
        var restore = new PostgresRestore();
        var target = fixture.Connection(db);

        var skip = await restore.RestoreRowsAsync(fixture.Store, fixture.Manifest, target,
            new RowRestoreOptions { Table = "public.profiles", Where = "username IN ('user_7', 'user_8', 'user_9')", OnConflict = OnConflict.Skip }, default);
        skip.Should().BeEquivalentTo(new { Matched = 3L, Inserted = 2L, Updated = 0L, Skipped = 1L });
        skip.Changes.Should().OnlyContain(c => c.Action == "inserted");
        skip.Changes.Select(c => c.Key).Should().Contain("{\"id\" : \"00000000-0000-0000-0000-000000000007\"}");
        (await fixture.Cluster.ScalarAsync<string>("SELECT bio FROM public.profiles WHERE username = 'user_9'", db)).Should().Be("vandalised");

        var update = await restore.RestoreRowsAsync(fixture.Store, fixture.Manifest, target,
            new RowRestoreOptions { Table = "profiles", Where = "username = 'user_9'", OnConflict = OnConflict.Update }, default);
        update.Should().BeEquivalentTo(new { Matched = 1L, Inserted = 0L, Updated = 1L, Skipped = 0L });
        (await fixture.Cluster.ScalarAsync<string>("SELECT bio FROM public.profiles WHERE username = 'user_9'", db)).Should().Be("bio 9");
        (await fixture.Cluster.ScalarAsync<int>("SELECT n FROM public.profiles WHERE username = 'user_7'", db)).Should().Be(7, "identity values come back as they were");
    }

    [Fact]
    public async Task Update_mode_needs_a_primary_key_and_a_bad_predicate_names_the_table()
    {
        var db = await LiveCopyAsync("rowerr");
        var restore = new PostgresRestore();
        var noKey = () => restore.RestoreRowsAsync(fixture.Store, fixture.Manifest, fixture.Connection(db),
            new RowRestoreOptions { Table = "events_log", Where = "true", OnConflict = OnConflict.Update }, default);
        (await noKey.Should().ThrowAsync<RestoreFailedException>()).Which.Message.Should().Contain("no primary key");
        var badPredicate = () => restore.RestoreRowsAsync(fixture.Store, fixture.Manifest, fixture.Connection(db),
            new RowRestoreOptions { Table = "events_log", Where = "no_such_column = 1" }, default);
        (await badPredicate.Should().ThrowAsync<RestoreFailedException>()).Which.ObjectName.Should().Be("\"public\".\"events_log\"");
    }
}
