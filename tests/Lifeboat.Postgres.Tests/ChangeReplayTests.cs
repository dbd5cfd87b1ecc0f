using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

/// <summary>Replaying captured transactions onto a restored base gives the source as it was at each point.</summary>
public sealed class ChangeReplayTests(LogicalClusterFixture fixture) : IClassFixture<LogicalClusterFixture>
{
    private static readonly string[] Tables = ["accounts", "docs", "pairs", "audit"];

    private ThrowawayCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_base_plus_the_transactions_up_to_a_point_equal_the_source_at_that_point_at_every_point()
    {
        const string db = "replay_src";
        await Cluster.CreateDatabaseAsync(db);
        await Cluster.ExecuteAsync("""
            CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, note text);
            CREATE TABLE docs (id int PRIMARY KEY, version int, body text);
            CREATE TABLE pairs (a int, b text);
            ALTER TABLE pairs REPLICA IDENTITY FULL;
            CREATE TABLE audit (id serial PRIMARY KEY, msg text);
            CREATE TABLE marker (id int PRIMARY KEY);
            CREATE FUNCTION audited() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit (msg) VALUES ('trigger ' || NEW.id); RETURN NEW; END $$;
            CREATE TRIGGER audited AFTER UPDATE OF balance ON accounts FOR EACH ROW WHEN (NEW.id = 1) EXECUTE FUNCTION audited();
            INSERT INTO accounts SELECT g, 100, NULL FROM generate_series(1, 200) g;
            INSERT INTO docs SELECT g, 1, (SELECT string_agg(md5((g * 1000 + h)::text), '') FROM generate_series(1, 400) h) FROM generate_series(1, 5) g;
            INSERT INTO pairs VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, NULL);
            INSERT INTO audit (msg) VALUES ('first'), ('second');
            """, db);
        await using var capture = await ChangeCapture.StartAsync(PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions
        {
            SlotName = "replay", PublicationName = "replay", Capture = new CaptureOptions { Jobs = 2 },
        }, default);
        var store = new MemoryStreamStore();
        var manifest = await capture.CaptureBaseAsync(store, null, default);

        var points = new List<(ulong Lsn, Dictionary<string, string> Hashes)>();
        foreach (var phase in Workload)
        {
            foreach (var transaction in phase)
                await Cluster.ExecuteAsync(transaction, db);
            points.Add((Lsn.Parse(await Cluster.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", db)), await HashesAsync(db)));
        }

        await Cluster.ExecuteAsync("INSERT INTO marker VALUES (1)", db);
        var log = await ReadUntilMarkerAsync(capture);

        for (var i = 0; i < points.Count; i++)
        {
            var target = $"replay_at_{i}";
            await Cluster.CreateDatabaseAsync(target);
            await new PostgresRestore().RestoreAsync(store, manifest, PgConnectionInfo.Parse(Cluster.Url(target)), new RestoreOptions { Jobs = 2 }, default);
            await using (var replay = await ChangeReplay.OpenAsync(PgConnectionInfo.Parse(Cluster.Url(target)), default))
            {
                foreach (var t in log.Where(t => t.EndLsn <= points[i].Lsn))
                    await replay.ApplyAsync(t.CommitLsn, t.Relations, t.Changes.ToAsyncEnumerable(), default);
                replay.Transactions.Should().BeGreaterThan(0);
            }

            (await HashesAsync(target)).Should().Equal(points[i].Hashes, $"the restore at point {i} matches the source then");
        }
    }

    [Fact]
    public async Task A_change_whose_row_is_not_on_the_target_is_a_conflict_and_nothing_of_its_transaction_stays()
    {
        const string db = "replay_conflict";
        await Cluster.CreateDatabaseAsync(db);
        await Cluster.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 1);", db);
        var relation = new RelationInfo(1, "public", "t", 'd', [new RelationColumn("id", 23, -1, true), new RelationColumn("n", 23, -1, false)]);
        var relations = new Dictionary<uint, RelationInfo> { [1] = relation };
        CapturedChange[] changes =
        [
            CapturedChange.Insert(1, [ColumnValue.Of("2"), ColumnValue.Of("2")]),
            new(ChangeKind.Update, 1, null, false, [ColumnValue.Of("9"), ColumnValue.Of("9")], [], 0),
        ];
        await using var replay = await ChangeReplay.OpenAsync(PgConnectionInfo.Parse(Cluster.Url(db)), default);

        var apply = () => replay.ApplyAsync(0x100, relations, changes.ToAsyncEnumerable(), default);

        (await apply.Should().ThrowAsync<ReplayConflictException>()).Which.Message.Should().Contain("0 rows instead of 1");
        (await Cluster.ScalarAsync<long>("SELECT count(*) FROM t", db)).Should().Be(1, "the insert before it was rolled back with it");
        replay.LastAppliedLsn.Should().Be(0);
    }

    /// <summary>Three phases of transactions (each string one transaction); the source's state is recorded after each.</summary>
    private static readonly string[][] Workload =
    [
        [
            "UPDATE accounts SET balance = balance - 10 WHERE id <= 50; UPDATE accounts SET balance = balance + 10 WHERE id > 150",
            "UPDATE docs SET version = version + 1 WHERE id = 1",
            "DELETE FROM pairs WHERE ctid = (SELECT ctid FROM pairs WHERE a = 1 LIMIT 1)",
            "INSERT INTO accounts SELECT g, 0, NULL FROM generate_series(201, 260) g",
            "UPDATE accounts SET id = id + 1000 WHERE id = 5",
            "DELETE FROM accounts WHERE id BETWEEN 100 AND 110",
        ],
        [
            "TRUNCATE audit; INSERT INTO audit (msg) VALUES ('after truncate')",
            "UPDATE pairs SET b = 'y' WHERE a = 2",
            "UPDATE accounts SET note = repeat('n', 50)",
            "UPDATE docs SET body = body || 'x' WHERE id = 2",
            "BEGIN; INSERT INTO accounts VALUES (5000, 1, 'kept'); SAVEPOINT s; INSERT INTO accounts VALUES (5001, 1, 'rolled back'); ROLLBACK TO s; COMMIT",
        ],
        [
            "UPDATE accounts SET balance = 0",
            "DELETE FROM pairs",
            "DELETE FROM docs WHERE id = 3",
        ],
    ];

    private async Task<Dictionary<string, string>> HashesAsync(string db)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var table in Tables)
            hashes[table] = await Cluster.ScalarAsync<string>($"SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {table} x", db);
        return hashes;
    }

    private sealed record Logged(ulong CommitLsn, ulong EndLsn, Dictionary<uint, RelationInfo> Relations, List<CapturedChange> Changes);

    private static async Task<List<Logged>> ReadUntilMarkerAsync(ChangeCapture capture)
    {
        var result = new List<Logged>();
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
                result.Add(new Logged(transaction.CommitLsn, transaction.EndLsn, transaction.Relations.ToDictionary(), changes));
            }
        }

        return result;
    }
}
