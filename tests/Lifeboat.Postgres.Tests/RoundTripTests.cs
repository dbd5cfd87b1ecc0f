using System.Text;
using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

[Collection(SupabaseCollection.Name)]
public sealed class RoundTripTests(SupabaseFixture fixture)
{
    [Fact]
    public async Task The_manifest_describes_server_snapshot_tables_rls_sequences_and_large_objects()
    {
        var m = fixture.Manifest;
        m.ServerVersionNum.Should().BeGreaterThanOrEqualTo(150000);
        m.SystemIdentifier.Should().NotBeNullOrEmpty();
        m.WalLsn.Should().MatchRegex("^[0-9A-F]+/[0-9A-F]+$");
        m.Database.Should().Be("source");
        m.PgDumpVersion.Should().Contain("pg_dump (PostgreSQL)");
        var objects = m.Tables.Single(t => t.Schema == "storage" && t.Name == "objects");
        objects.Rows.Should().Be(500);
        objects.RlsEnabled.Should().BeTrue();
        objects.PolicyCount.Should().Be(3);
        objects.Columns.Should().NotContain("path_tokens", "generated columns are recomputed, not copied");
        m.Tables.Single(t => t.Name == "buckets").RlsForced.Should().BeTrue();
        m.Tables.Single(t => t.Name == "measurements").Kind.Should().Be("partitioned");
        m.Tables.Single(t => t.Name == "measurements_2024_a").Kind.Should().Be("partition");
        m.Tables.Single(t => t.Name == "measurements").Stream.Should().BeNull();
        m.Tables.Single(t => t.Name == "events_log").Rows.Should().Be(455);
        m.Tables.Single(t => t.Name == "empty_table").Rows.Should().Be(0);
        m.Tables.Single(t => t.Name == "odd \"name\" with spaces").Stream.Should().Be("data/My%20Schema.odd%20%22name%22%20with%20spaces");
        m.Sequences.Single(s => s.Name == "invoice_numbers").LastValue.Should().Be(4242);
        m.LargeObjects.Should().HaveCount(2);
        m.LargeObjects.Sum(l => l.Bytes).Should().Be(4 + 1536 * 1024);
        BackupManifest.FromJson(m.ToJson()).Should().BeEquivalentTo(m);
        fixture.Store.ConcurrentWriters.Should().BeGreaterThan(1, "workers write streams in parallel");
    }

    [Fact]
    public async Task Keys_are_built_beside_the_other_indexes_of_their_table_and_come_out_as_pg_restore_makes_them()
    {
        await using (var archive = await SchemaArchive.ExtractAsync(fixture.Store, fixture.Manifest, default))
        {
            var tools = await PgToolset.FindAsync(fixture.Manifest.ServerVersionNum / 10000, null, default);
            var plan = await IndexBuildPlan.CreateAsync(tools, archive, fixture.Manifest, default);
            plan.LeavesEntries.Should().BeTrue("foreign keys, policies and triggers are pg_restore's");
            var builds = plan.Builds;
            builds.Should().Contain(b => b.Object == "CONSTRAINT notes_pkey ON public.notes" && b.Attach != null);
            builds.Should().Contain(b => b.Object.StartsWith("INDEX measurements_device_ts_idx", StringComparison.Ordinal), "plain indexes, also of partitioned tables");
            builds.Should().NotContain(b => b.Object.Contains("employees_pkey", StringComparison.Ordinal), "a clustered key's entry also says CLUSTER ON");
            builds.Should().NotContain(b => b.Object.StartsWith("CONSTRAINT measurements", StringComparison.Ordinal), "partitioned tables' keys stay with pg_restore");
        }

        var target = await fixture.NewDatabaseAsync("keys");
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 2 }, default);

        (await fixture.SchemaAsync(target)).Should().Be(await fixture.SchemaAsync("source"));
        var duplicate = () => fixture.Cluster.ExecuteAsync("INSERT INTO public.notes (id) SELECT min(id) FROM public.notes", target);
        (await duplicate.Should().ThrowAsync<Npgsql.PostgresException>()).Which.SqlState.Should().Be("23505");
        (await fixture.Cluster.ScalarAsync<bool>(
            "SELECT indisprimary FROM pg_catalog.pg_index WHERE indexrelid = 'public.notes_pkey'::regclass", target)).Should().BeTrue();
    }

    [Fact]
    public async Task A_full_restore_reproduces_schema_data_sequences_and_large_objects_exactly()
    {
        var target = await fixture.NewDatabaseAsync("full");
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 3 }, default);

        (await fixture.SchemaAsync(target)).Should().Be(await fixture.SchemaAsync("source"));
        var verification = await PostgresVerifier.VerifyAsync(fixture.Connection(target), fixture.Manifest, default);
        verification.Mismatches.Should().BeEmpty();
        verification.Checked.Should().HaveCount(fixture.Manifest.Tables.Count(t => t.Stream is not null));
        (await fixture.SequencesAsync(target)).Should().Be(await fixture.SequencesAsync("source"));
        (await fixture.LargeObjectsAsync(target)).Should().Be(await fixture.LargeObjectsAsync("source"));
        (await fixture.Cluster.ScalarAsync<long>("SELECT sum(n)::bigint FROM public.device_stats_top", target)).Should().Be(600, "materialized views are refreshed");
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.cities", target)).Should().Be(4, "inheritance children are restored");
    }

    [Fact]
    public async Task A_full_restore_with_every_table_loaded_in_parts_at_once_reproduces_the_same_rows()
    {
        var target = await fixture.NewDatabaseAsync("parts");
        var store = fixture.Store;
        store.PartsServed.Clear();

        await new PostgresRestore().RestoreAsync(store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 3, MinimumPartBytes = 64 }, default);

        store.PartsServed.Values.Should().Contain(p => p > 1, "tables of a few hundred bytes or more are cut into parts");
        store.PartsServed.Keys.Should().Contain(fixture.Manifest.Tables.Single(t => t.Name == "odd \"name\" with spaces").Stream!);
        fixture.Manifest.Tables.Where(t => t.OrderSensitive == true).Select(t => t.Name).Should().BeEquivalentTo("events_log", "employees");
        store.PartsServed[fixture.Manifest.Tables.Single(t => t.Name == "events_log").Stream!].Should().Be(1, "a BRIN index relies on the stored order");
        store.PartsServed[fixture.Manifest.Tables.Single(t => t.Name == "employees").Stream!].Should().Be(1, "so does CLUSTER");
        (await fixture.SchemaAsync(target)).Should().Be(await fixture.SchemaAsync("source"));
        var verification = await PostgresVerifier.VerifyAsync(fixture.Connection(target), fixture.Manifest, default);
        verification.Mismatches.Should().BeEmpty();
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.cities", target)).Should().Be(4, "inheritance children are restored");
        const string analyzed = "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = ";
        store.PartsServed[fixture.Manifest.Tables.Single(t => t.Name == "profiles").Stream!].Should().BeGreaterThan(1);
        (await fixture.Cluster.ScalarAsync<long>(analyzed + "'profiles'", target)).Should().BePositive("a table loaded in parts is analyzed after its last part");
    }

    [Fact]
    public async Task Tables_read_through_psql_give_the_same_bytes_as_through_the_worker_connections()
    {
        var store = new MemoryStreamStore();
        var viaPsql = await new PostgresCapture().CaptureAsync(fixture.Source, store, new CaptureOptions { Jobs = 2, PsqlCopyMinBytes = 0 }, default);
        var viaNpgsql = await new PostgresCapture().CaptureAsync(fixture.Source, new MemoryStreamStore(), new CaptureOptions { Jobs = 2, PsqlCopyMinBytes = long.MaxValue }, default);
        var tables = viaPsql.Tables.Where(t => t.Stream is not null).ToList();
        tables.Should().HaveCountGreaterThan(10);
        tables.Select(t => (t.Stream, t.Rows, t.Bytes, t.Sha256)).Should().Equal(
            viaNpgsql.Tables.Where(t => t.Stream is not null).Select(t => (t.Stream, t.Rows, t.Bytes, t.Sha256)));
        tables.Sum(t => t.Rows).Should().BeGreaterThan(1000);
        store.Streams[tables[0].Stream!].Length.Should().Be((int)tables[0].Bytes);
    }

    [Fact]
    public async Task A_full_restore_leaves_statistics_on_tables_partitioned_parents_and_materialized_views()
    {
        var target = await fixture.NewDatabaseAsync("stats");
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 2 }, default);

        const string analyzed = "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = ";
        (await fixture.Cluster.ScalarAsync<long>(analyzed + "'events_log'", target)).Should().BePositive("each table is analyzed after its load");
        (await fixture.Cluster.ScalarAsync<long>(analyzed + "'measurements' AND inherited", target)).Should().BePositive("partitioned tables are analyzed after their partitions");
        (await fixture.Cluster.ScalarAsync<long>(analyzed + "'cities' AND inherited", target)).Should().BePositive("inheritance parents are analyzed over the whole tree");
        (await fixture.Cluster.ScalarAsync<long>(analyzed + "'device_stats'", target)).Should().BePositive("materialized views are analyzed once refreshed");
    }

    [Fact]
    public async Task A_restore_without_analyze_leaves_statistics_to_autovacuum()
    {
        var target = await fixture.NewDatabaseAsync("nostats");
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 2, Analyze = false }, default);

        // autovacuum may analyze the leaf tables meanwhile, but never a partitioned table
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'measurements'", target)).Should().Be(0);
    }

    [Fact]
    public async Task Verification_accepts_the_same_rows_in_another_physical_order_and_rejects_a_changed_row()
    {
        var target = await fixture.NewDatabaseAsync("reordered");
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 2 }, default);
        await fixture.Cluster.ExecuteAsync("""
            CREATE TABLE public.shuffled AS SELECT * FROM public.events_log ORDER BY md5(at::text || kind || payload::text);
            TRUNCATE public.events_log;
            INSERT INTO public.events_log SELECT * FROM public.shuffled;
            DROP TABLE public.shuffled;
            """, target);

        var reordered = await PostgresVerifier.VerifyAsync(fixture.Connection(target), fixture.Manifest, default);
        reordered.Mismatches.Should().BeEmpty();
        var entry = fixture.Manifest.Tables.Single(t => t.Name == "events_log");
        var events = reordered.Checked.Single(c => c.Name == "events_log");
        events.Sha256.Should().NotBe(entry.Sha256, "the rows come back in another order");
        events.Reordered(entry).Should().BeTrue();

        await fixture.Cluster.ExecuteAsync("UPDATE public.events_log SET kind = 'kX' WHERE ctid = (SELECT min(ctid) FROM public.events_log)", target);
        var changed = await PostgresVerifier.VerifyAsync(fixture.Connection(target), fixture.Manifest, default);
        changed.Mismatches.Should().ContainSingle().Which.Should().Contain("events_log");
    }

    [Fact]
    public async Task The_source_hashes_match_the_manifest_so_copy_output_is_deterministic()
    {
        var verification = await PostgresVerifier.VerifyAsync(fixture.Source, fixture.Manifest, default);
        verification.Mismatches.Should().BeEmpty();
    }

    [Fact]
    public async Task Plain_sql_output_loads_with_psql_into_an_empty_database_and_matches()
    {
        using var script = new MemoryStream();
        await PlainSqlWriter.WriteAsync(fixture.Store, fixture.Manifest, script, null, default);
        var text = Encoding.UTF8.GetString(script.ToArray());
        text.Should().Contain("COPY \"public\".\"notes\"").And.Contain("\\.\n");
        var target = await fixture.NewDatabaseAsync("plain");
        var path = Path.Combine(fixture.Cluster.RootDir, target + ".sql");
        await File.WriteAllBytesAsync(path, script.ToArray());
        await fixture.Cluster.RunClientAsync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname=" + target, "-f", path]);

        (await fixture.SchemaAsync(target)).Should().Be(await fixture.SchemaAsync("source"));
        (await PostgresVerifier.VerifyAsync(fixture.Connection(target), fixture.Manifest, default)).Mismatches.Should().BeEmpty();
        (await fixture.SequencesAsync(target)).Should().Be(await fixture.SequencesAsync("source"));
        (await fixture.LargeObjectsAsync(target)).Should().Be(await fixture.LargeObjectsAsync("source"));
    }

    [Fact]
    public async Task A_non_empty_target_is_refused_and_an_interrupted_restore_can_be_rerun_with_clean()
    {
        var target = await fixture.NewDatabaseAsync("rerun");
        var conn = fixture.Connection(target);
        using var cts = new CancellationTokenSource();
        var interrupting = new InterruptingSource(fixture.Store, afterTables: 3, cts);
        var interrupted = () => new PostgresRestore().RestoreAsync(interrupting, fixture.Manifest, conn, new RestoreOptions { Jobs = 1 }, cts.Token);
        await interrupted.Should().ThrowAsync<OperationCanceledException>();

        var again = () => new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, conn, new RestoreOptions { Jobs = 2 }, default);
        (await again.Should().ThrowAsync<TargetNotEmptyException>()).Which.Message.Should().Contain("--clean");

        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, conn, new RestoreOptions { Jobs = 2, Clean = true }, default);
        (await PostgresVerifier.VerifyAsync(conn, fixture.Manifest, default)).Mismatches.Should().BeEmpty();
        (await fixture.SchemaAsync(target)).Should().Be(await fixture.SchemaAsync("source"));
        (await fixture.LargeObjectsAsync(target)).Should().Be(await fixture.LargeObjectsAsync("source"));
    }

    [Fact]
    public async Task A_clean_restore_that_cannot_find_its_pg_restore_leaves_the_target_as_it_was()
    {
        var target = await fixture.NewDatabaseAsync("clean_no_tools");
        var conn = fixture.Connection(target);
        await new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, conn, new RestoreOptions { Jobs = 2 }, default);
        var before = await fixture.SchemaAsync(target);

        using var tools = new FakeTools("9.6.24");
        var act = () => new PostgresRestore().RestoreAsync(fixture.Store, fixture.Manifest, conn,
            new RestoreOptions { Jobs = 2, Clean = true, PgBinDirectory = tools.Directory }, default);
        await act.Should().ThrowAsync<PgToolNotFoundException>();

        (await fixture.SchemaAsync(target)).Should().Be(before, "--clean drops nothing before the restore can go ahead");
        (await PostgresVerifier.VerifyAsync(conn, fixture.Manifest, default)).Mismatches.Should().BeEmpty();
    }

    [Fact]
    public async Task A_damaged_stream_stops_the_restore_and_names_the_table()
    {
        var damaged = new MemoryStreamStore();
        foreach (var (name, bytes) in fixture.Store.Streams)
            damaged.Overwrite(name, bytes);
        var notes = fixture.Manifest.Tables.Single(t => t.Name == "notes");
        var copy = damaged.Streams[notes.Stream!].ToArray();
        copy[10] ^= 0x01;
        damaged.Overwrite(notes.Stream!, copy);
        var target = await fixture.NewDatabaseAsync("damaged");
        var act = () => new PostgresRestore().RestoreAsync(damaged, fixture.Manifest, fixture.Connection(target), new RestoreOptions { Jobs = 2 }, default);
        (await act.Should().ThrowAsync<BackupIntegrityException>()).Which.Message.Should().Contain("\"public\".\"notes\"");
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.notes", target)).Should().Be(0, "a damaged stream loads nothing");
    }

    /// <summary>Cancels the restore when the data stream of the n-th table is opened.</summary>
    private sealed class InterruptingSource(IStreamSource inner, int afterTables, CancellationTokenSource cts) : IStreamSource
    {
        private int _opened;

        public async Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken)
        {
            if (name.StartsWith("data/", StringComparison.Ordinal) && Interlocked.Increment(ref _opened) > afterTables)
            {
                await cts.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
            return await inner.OpenStreamAsync(name, cancellationToken);
        }
    }
}
