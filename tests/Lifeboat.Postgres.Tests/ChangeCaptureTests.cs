using System.Text;
using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

/// <summary>Change capture against a real server with wal_level = logical: slot, exported snapshot, base and stream.</summary>
public sealed class ChangeCaptureTests(LogicalClusterFixture fixture) : IClassFixture<LogicalClusterFixture>
{
    private ThrowawayCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Rows_committed_while_the_base_copy_runs_are_in_the_stream_and_not_in_the_base_and_every_row_is_somewhere_once()
    {
        var db = await DatabaseAsync("meet", """
            CREATE TABLE t (id int PRIMARY KEY, s text);
            CREATE TABLE marker (id int PRIMARY KEY);
            INSERT INTO t SELECT g, 'before ' || g FROM generate_series(1, 500) g;
            """);
        // while the base reads t, another session commits 200 more rows: they are after the consistent point
        var sink = new DuringCopySink(new MemoryStreamStore(), "data/public.t",
            () => Cluster.ExecuteAsync("INSERT INTO t SELECT g, 'during ' || g FROM generate_series(501, 700) g; UPDATE t SET s = 'changed' WHERE id = 1", db));
        await using var capture = await StartAsync(db, "meet");
        var manifest = await capture.CaptureBaseAsync(sink, null, default);
        await Cluster.ExecuteAsync("INSERT INTO t SELECT g, 'after ' || g FROM generate_series(701, 750) g", db);
        await Cluster.ExecuteAsync("INSERT INTO marker VALUES (1)", db);

        manifest.WalLsn.Should().Be(Lsn.Format(capture.ConsistentPoint));
        var baseIds = Lines(sink.Inner.Streams["data/public.t"]).Select(l => int.Parse(l.Split('\t')[0])).ToList();
        var streamed = await ReadUntilMarkerAsync(capture);
        var streamIds = streamed.SelectMany(t => t.Changes).Where(c => c.Kind == ChangeKind.Insert).Select(c => int.Parse(c.NewValues![0].Text!)).ToList();

        baseIds.Should().BeEquivalentTo(Enumerable.Range(1, 500), "the base shows what was committed before the slot's consistent point");
        baseIds.Concat(streamIds).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(Enumerable.Range(1, 750));
        streamed.SelectMany(t => t.Changes).Should().Contain(c => c.Kind == ChangeKind.Update && c.NewValues![1].Text == "changed");
        streamed.Select(t => t.Transaction.CommitLsn).Should().BeInAscendingOrder().And.OnlyContain(l => l > capture.ConsistentPoint);
    }

    [Fact]
    public async Task Inserts_updates_deletes_and_truncates_are_decoded_with_unchanged_toasted_values_kept_as_such()
    {
        var db = await DatabaseAsync("kinds", """
            CREATE TABLE t (id int PRIMARY KEY, n int, big text);
            CREATE TABLE f (id int, s text);
            ALTER TABLE f REPLICA IDENTITY FULL;
            CREATE TABLE marker (id int PRIMARY KEY);
            """);
        await using var capture = await StartAsync(db, "kinds");
        await capture.CaptureBaseAsync(new MemoryStreamStore(), null, default);
        // an incompressible 20 kB value is stored out of line (TOAST): an update not touching it does not send it again
        await Cluster.ExecuteAsync("""
            INSERT INTO t VALUES (1, 10, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 640) g)), (2, 20, NULL);
            UPDATE t SET n = 11 WHERE id = 1;
            DELETE FROM t WHERE id = 2;
            INSERT INTO f VALUES (1, 'a');
            UPDATE f SET s = 'b';
            DELETE FROM f;
            TRUNCATE t, f RESTART IDENTITY;
            """, db);
        await Cluster.ExecuteAsync("INSERT INTO marker VALUES (1)", db);

        var changes = (await ReadUntilMarkerAsync(capture)).Should().ContainSingle("the statements ran as one transaction").Subject.Changes;

        changes.Select(c => c.Kind).Should().Equal(
            ChangeKind.Insert, ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete, ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete, ChangeKind.Truncate);
        changes[0].NewValues![2].Text.Should().HaveLength(640 * 32);
        changes[1].NewValues![2].Kind.Should().Be(ValueKind.Null);
        changes[2].NewValues!.Select(v => v.Kind).Should().Equal(ValueKind.Text, ValueKind.Text, ValueKind.Unchanged);
        changes[2].NewValues![1].Text.Should().Be("11");
        changes[3].OldIsKey.Should().BeTrue();
        changes[3].OldValues![0].Text.Should().Be("2");
        changes[5].OldValues!.Select(v => v.Text).Should().Equal("1", "a");
        changes[5].OldIsKey.Should().BeFalse();
        changes[6].OldValues!.Select(v => v.Text).Should().Equal("1", "b");
        changes[7].TruncatedRelations.Should().HaveCount(2);
        (changes[7].TruncateFlags & 2).Should().Be(2, "RESTART IDENTITY is kept");
    }

    [Fact]
    public async Task A_transaction_larger_than_the_servers_decoding_memory_is_streamed_and_spilled_and_aborted_work_is_discarded()
    {
        var db = await DatabaseAsync("big", """
            CREATE TABLE t (id int PRIMARY KEY, s text);
            CREATE TABLE marker (id int PRIMARY KEY);
            """);
        await using var capture = await StartAsync(db, "big", memory: 64 * 1024);
        await capture.CaptureBaseAsync(new MemoryStreamStore(), null, default);
        // logical_decoding_work_mem is 64 kB: each of these is streamed while in progress
        await Cluster.ExecuteAsync("BEGIN; INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(100001, 105000) g; ROLLBACK;", db);
        await Cluster.ExecuteAsync("""
            BEGIN;
            INSERT INTO t SELECT g, repeat('a', 100) FROM generate_series(1, 5000) g;
            SAVEPOINT s;
            INSERT INTO t SELECT g, repeat('b', 100) FROM generate_series(5001, 8000) g;
            ROLLBACK TO SAVEPOINT s;
            INSERT INTO t SELECT g, 'c' FROM generate_series(9001, 9010) g;
            COMMIT;
            """, db);
        await Cluster.ExecuteAsync("INSERT INTO marker VALUES (1)", db);

        var transactions = await ReadUntilMarkerAsync(capture);
        var big = transactions.Should().ContainSingle(t => t.Changes.Count > 1).Subject;
        big.Transaction.Streamed.Should().BeTrue();
        big.Transaction.Spilled.Should().BeTrue();
        big.Changes.Select(c => int.Parse(c.NewValues![0].Text!)).Should().Equal(Enumerable.Range(1, 5000).Concat(Enumerable.Range(9001, 10)));
        big.Changes[0].NewValues![1].Text.Should().Be(new string('a', 100));
        transactions.Should().HaveCount(1, "the rolled-back transaction never appears");
    }

    [Fact]
    public async Task A_table_without_a_primary_key_or_replica_identity_is_named_and_nothing_is_published()
    {
        var db = await DatabaseAsync("nokey", "CREATE TABLE ok (id int PRIMARY KEY); CREATE TABLE loose (a int, b text);");
        var start = () => StartAsync(db, "nokey");

        var error = (await start.Should().ThrowAsync<TablesWithoutReplicaIdentityException>()).Which;
        error.Tables.Should().Equal("public.loose");
        error.Message.Should().Contain("REPLICA IDENTITY FULL");
        (await Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_publication", db)).Should().Be(0);
        (await Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'nokey'")).Should().Be(0);
    }

    [Fact]
    public async Task A_role_without_the_replication_attribute_is_told_to_get_it()
    {
        var db = await DatabaseAsync("norepl", "CREATE TABLE t (id int PRIMARY KEY);");
        await Cluster.CreateRoleAsync("plain_user", "pw");
        var source = PgConnectionInfo.Parse(Cluster.Url(db, "plain_user", "pw"));
        var start = () => ChangeCapture.StartAsync(source, new ChangeCaptureOptions { SlotName = "norepl", PublicationName = "norepl" }, default);

        (await start.Should().ThrowAsync<ReplicationNotPermittedException>()).Which.Message.Should().Contain("ALTER ROLE \"plain_user\" REPLICATION");
    }

    [Fact]
    public async Task A_replication_slot_name_in_use_is_refused_with_what_to_do()
    {
        var db = await DatabaseAsync("taken", "CREATE TABLE t (id int PRIMARY KEY);");
        await using (await StartAsync(db, "taken"))
        {
            var second = () => ChangeCapture.StartAsync(
                PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions { SlotName = "taken", PublicationName = "taken2" }, default);

            (await second.Should().ThrowAsync<CaptureFailedException>()).Which.Message.Should().Contain("pg_drop_replication_slot('taken')");
            (await Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_publication WHERE pubname = 'taken2'", db)).Should().Be(0, "the publication it created is undone");
        }
    }

    private async Task<string> DatabaseAsync(string name, string schema)
    {
        await Cluster.CreateDatabaseAsync(name);
        await Cluster.ExecuteAsync(schema, name);
        return name;
    }

    private async Task<ChangeCapture> StartAsync(string db, string slot, long memory = 64L * 1024 * 1024) =>
        await ChangeCapture.StartAsync(PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions
        {
            SlotName = slot,
            PublicationName = slot,
            Capture = new CaptureOptions { Jobs = 2 },
            TransactionMemoryBytes = memory,
        }, default);

    private sealed record Read(CapturedTransaction Transaction, List<CapturedChange> Changes);

    /// <summary>Reads transactions until one touches the table <c>marker</c> (which is left out), or 60 s pass.</summary>
    private static async Task<List<Read>> ReadUntilMarkerAsync(ChangeCapture capture)
    {
        var result = new List<Read>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var transaction in capture.StreamAsync(timeout.Token))
        {
            using (transaction)
            {
                if (transaction.Relations.Values.Any(r => r.Name == "marker"))
                    return result;
                var changes = new List<CapturedChange>();
                await foreach (var change in transaction.ReadChangesAsync(timeout.Token))
                    changes.Add(change);
                result.Add(new Read(transaction, changes));
                capture.Acknowledge(transaction.EndLsn);
            }
        }

        return result;
    }

    private static IEnumerable<string> Lines(byte[] copy) =>
        Encoding.UTF8.GetString(copy).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A sink that runs <paramref name="during"/> (and waits for it) when the base starts reading one stream.</summary>
    private sealed class DuringCopySink(MemoryStreamStore inner, string stream, Func<Task> during) : IStreamSink
    {
        public MemoryStreamStore Inner => inner;

        public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
        {
            if (name == stream)
                await during();
            return await inner.WriteStreamAsync(name, content, cancellationToken);
        }
    }
}
