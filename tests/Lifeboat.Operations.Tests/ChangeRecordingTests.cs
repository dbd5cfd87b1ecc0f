using System.Globalization;
using Lifeboat.Operations.Changes;
using Lifeboat.Operations.Tests.Support;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Changes;
using Lifeboat.Repository.Restore;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Operations.Tests;

/// <summary>A cluster with wal_level = logical for the change capture tests of this assembly.</summary>
public sealed class LogicalClusterFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public async Task InitializeAsync() => _cluster = await ThrowawayCluster.StartAsync(new ThrowawayClusterOptions { LogicalReplication = true });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary>Capture recorded into a repository's change log, and a point in time restored from base and log.</summary>
public sealed class ChangeRecordingTests(LogicalClusterFixture fixture) : IClassFixture<LogicalClusterFixture>
{
    private ThrowawayCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_slot_is_acknowledged_only_up_to_a_segment_the_repository_holds()
    {
        var db = await DatabaseAsync("ack");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var repository = await BackupRepository.InitAsync(
            new InMemoryStorage(), TestRepositories.Password, TestRepositories.SmallOptions, new RepositoryContext(time, Identity.Current), CancellationToken.None);
        await using var capture = await StartAsync(db, "ack");
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        await BaseAsync(repository, index, capture, db);
        var writer = Writer(repository, index, capture, "ack", flushBytes: long.MaxValue);
        var progress = new Latest();
        using var stop = new CancellationTokenSource();
        var recording = Task.Run(() => new ChangeRecorder(capture, writer) { Progress = progress, CheckEvery = TimeSpan.FromMilliseconds(50) }.RunAsync(stop.Token));

        for (var i = 1; i <= 5; i++)
            await Cluster.ExecuteAsync($"INSERT INTO accounts VALUES ({1000 + i}, {i}, NULL)", db);
        await WaitUntilAsync(() => progress.Value?.Transactions == 5);
        await Task.Delay(1000);

        (await ConfirmedAsync("ack")).Should().Be(capture.ConsistentPoint, "nothing is durable yet, so nothing is acknowledged");
        (await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None)).Should().BeEmpty();

        time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => progress.Value?.Segments == 1);
        writer.DurableLsn.Should().BeGreaterThan(capture.ConsistentPoint);
        await WaitUntilAsync(async () => await ConfirmedAsync("ack") == writer.DurableLsn);
        (await ChangeLogStore.LoadAllAsync(repository, null, CancellationToken.None)).Should().ContainSingle().Which.Segment.Transactions.Should().Be(5);

        await stop.CancelAsync();
        await recording.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task A_restore_of_the_base_plus_the_change_log_up_to_a_position_or_a_time_equals_the_source_then()
    {
        var db = await DatabaseAsync("pitr");
        await using var repository = await TestRepositories.InitAsync(new InMemoryStorage());
        await using var capture = await StartAsync(db, "pitr");
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var (manifest, snapshot) = await BaseAsync(repository, index, capture, db);
        var writer = Writer(repository, index, capture, "pitr", flushBytes: 1);
        var progress = new Latest();
        using var stop = new CancellationTokenSource();
        var recording = Task.Run(() => new ChangeRecorder(capture, writer) { Progress = progress }.RunAsync(stop.Token));

        string[][] phases =
        [
            ["UPDATE accounts SET balance = balance - 7 WHERE id <= 20", "DELETE FROM accounts WHERE id BETWEEN 30 AND 35", "UPDATE docs SET version = 2"],
            ["INSERT INTO accounts SELECT g, 1, 'new' FROM generate_series(500, 520) g", "TRUNCATE docs", "UPDATE accounts SET id = id + 10000 WHERE id = 1"],
            ["UPDATE accounts SET balance = 0"],
        ];
        var points = new List<(ulong Lsn, DateTimeOffset Time, Dictionary<string, string> Hashes)>();
        foreach (var phase in phases)
        {
            foreach (var transaction in phase)
                await Cluster.ExecuteAsync(transaction, db);
            var lsn = Lsn.Parse(await Cluster.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", db));
            var at = new DateTimeOffset(await Cluster.ScalarAsync<DateTime>("SELECT clock_timestamp()", db), TimeSpan.Zero);
            points.Add((lsn, at, await HashesAsync(db)));
            await Task.Delay(50);
        }

        var total = phases.Sum(p => p.Length);
        await WaitUntilAsync(() => progress.Value is { } p && p.Transactions == total && p.Segments == total);
        await stop.CancelAsync();
        await recording.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();

        for (var i = 0; i < points.Count; i++)
        {
            var target = $"pitr_at_{i}";
            await Cluster.CreateDatabaseAsync(target);
            var connection = PgConnectionInfo.Parse(Cluster.Url(target));
            await new PostgresRestore().RestoreAsync(
                new SnapshotStreamSource(new BlobReader(repository, index), snapshot.Snapshot), manifest, connection, new RestoreOptions { Jobs = 2 }, CancellationToken.None);
            var request = new ChangeReplayRequest(connection, "pitr", capture.ConsistentPoint);
            request = i == 1 ? request with { ToTime = points[i].Time } : request with { ToLsn = points[i].Lsn };

            var result = await ChangeLogReplay.ReplayAsync(repository, index, request, CancellationToken.None);

            result.Transactions.Should().Be(phases.Take(i + 1).Sum(p => p.Length));
            (await HashesAsync(target)).Should().Equal(points[i].Hashes, $"the restore to point {i} matches the source then");
        }
    }

    [Fact]
    public async Task A_recorder_stopped_with_transactions_pending_and_resumed_on_its_slot_loses_and_repeats_nothing()
    {
        var db = await DatabaseAsync("resume");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var repository = await BackupRepository.InitAsync(
            new InMemoryStorage(), TestRepositories.Password, TestRepositories.SmallOptions, new RepositoryContext(time, Identity.Current), CancellationToken.None);
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        BackupManifest manifest;
        SnapshotRecord snapshot;
        ulong consistentPoint;
        await using (var capture = await StartAsync(db, "resume"))
        {
            (manifest, snapshot) = await BaseAsync(repository, index, capture, db);
            consistentPoint = capture.ConsistentPoint;
            var writer = Writer(repository, index, capture, "resume", flushBytes: long.MaxValue);
            var progress = new Latest();
            using var stop = new CancellationTokenSource();
            var recording = Task.Run(() => new ChangeRecorder(capture, writer) { Progress = progress, CheckEvery = TimeSpan.FromMilliseconds(50) }.RunAsync(stop.Token));
            for (var i = 1; i <= 3; i++)
                await Cluster.ExecuteAsync($"UPDATE accounts SET balance = balance + {i} WHERE id <= {10 * i}", db);
            await WaitUntilAsync(() => progress.Value?.Transactions == 3);
            time.Advance(TimeSpan.FromSeconds(5));
            await WaitUntilAsync(() => progress.Value?.Segments == 1);
            for (var i = 4; i <= 6; i++)
                await Cluster.ExecuteAsync($"INSERT INTO accounts VALUES ({1000 + i}, {i}, 'pending when stopped')", db);
            await WaitUntilAsync(() => progress.Value?.Transactions == 6);

            // stopped like a crash: the three pending transactions were never flushed nor acknowledged
            await stop.CancelAsync();
            await recording.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
        }

        await Cluster.ExecuteAsync("DELETE FROM accounts WHERE id BETWEEN 50 AND 60", db);
        await Cluster.ExecuteAsync("UPDATE docs SET version = 9 WHERE id = 2", db);
        var expected = await HashesAsync(db);
        await using (var resumed = await ChangeCapture.ResumeAsync(
            PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions { SlotName = "resume", PublicationName = "resume" }, CancellationToken.None))
        {
            var start = await ChangeLogStore.DurableEndAsync(repository, "resume", CancellationToken.None);
            var writer = new ChangeLogWriter(repository, index, new ChangeLogWriterOptions { Source = "test", Slot = "resume", StartLsn = start!.Value, FlushBytes = 1 });
            var progress = new Latest();
            using var stop = new CancellationTokenSource();
            var recording = Task.Run(() => new ChangeRecorder(resumed, writer) { Progress = progress }.RunAsync(stop.Token));
            await WaitUntilAsync(() => progress.Value?.Transactions == 5);
            await Task.Delay(500);
            progress.Value!.Transactions.Should().Be(5, "the three lost when stopped and the two made meanwhile, none twice");
            await stop.CancelAsync();
            await recording.Invoking(r => r).Should().ThrowAsync<OperationCanceledException>();
        }

        await Cluster.CreateDatabaseAsync("resume_restored");
        var target = PgConnectionInfo.Parse(Cluster.Url("resume_restored"));
        await new PostgresRestore().RestoreAsync(
            new SnapshotStreamSource(new BlobReader(repository, index), snapshot.Snapshot), manifest, target, new RestoreOptions { Jobs = 2 }, CancellationToken.None);
        var result = await ChangeLogReplay.ReplayAsync(repository, index, new ChangeReplayRequest(target, "resume", consistentPoint), CancellationToken.None);

        result.Transactions.Should().Be(8);
        (await HashesAsync("resume_restored")).Should().Equal(expected);
    }

    [Fact]
    public async Task Resuming_a_slot_that_is_gone_says_a_new_base_is_needed()
    {
        var db = await DatabaseAsync("gone");
        var resume = () => ChangeCapture.ResumeAsync(
            PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions { SlotName = "gone", PublicationName = "gone" }, CancellationToken.None);

        (await resume.Should().ThrowAsync<ReplicationSlotLostException>()).Which.Message.Should().Contain("new base backup");
    }

    private async Task<string> DatabaseAsync(string name)
    {
        await Cluster.CreateDatabaseAsync(name);
        await Cluster.ExecuteAsync("""
            CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, note text);
            CREATE TABLE docs (id int PRIMARY KEY, version int, body text);
            INSERT INTO accounts SELECT g, 100, NULL FROM generate_series(1, 100) g;
            INSERT INTO docs SELECT g, 1, (SELECT string_agg(md5((g * 1000 + h)::text), '') FROM generate_series(1, 300) h) FROM generate_series(1, 3) g;
            """, name);
        return name;
    }

    private async Task<ChangeCapture> StartAsync(string db, string slot) =>
        await ChangeCapture.StartAsync(PgConnectionInfo.Parse(Cluster.Url(db)), new ChangeCaptureOptions
        {
            SlotName = slot, PublicationName = slot, Capture = new CaptureOptions { Jobs = 2 },
        }, CancellationToken.None);

    private static async Task<(BackupManifest Manifest, SnapshotRecord Snapshot)> BaseAsync(BackupRepository repository, MasterIndex index, ChangeCapture capture, string db)
    {
        var backup = new BackupWriter(repository, index, new BackupWriterOptions());
        var manifest = await capture.CaptureBaseAsync(new RepositoryStreamSink(backup), null, CancellationToken.None);
        return (manifest, await backup.CommitAsync(new SnapshotDescription("database", db, [], "test"), CancellationToken.None));
    }

    private static ChangeLogWriter Writer(BackupRepository repository, MasterIndex index, ChangeCapture capture, string slot, long flushBytes) =>
        new(repository, index, new ChangeLogWriterOptions { Source = "test", Slot = slot, StartLsn = capture.ConsistentPoint, FlushBytes = flushBytes });

    private async Task<ulong> ConfirmedAsync(string slot) =>
        Lsn.Parse(await Cluster.ScalarAsync<string>($"SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{slot}'"));

    private async Task<Dictionary<string, string>> HashesAsync(string db)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var table in new[] { "accounts", "docs" })
            hashes[table] = await Cluster.ScalarAsync<string>($"SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {table} x", db);
        return hashes;
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the condition did not become true within 60 s");
            await Task.Delay(50);
        }
    }

    private sealed class Latest : IProgress<ChangeRecordingProgress>
    {
        private ChangeRecordingProgress? _value;

        public ChangeRecordingProgress? Value => Volatile.Read(ref _value);

        public void Report(ChangeRecordingProgress value) => Volatile.Write(ref _value, value);
    }
}
