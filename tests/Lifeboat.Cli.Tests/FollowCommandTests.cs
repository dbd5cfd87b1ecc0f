using System.Diagnostics;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Tests;

/// <summary>A cluster with wal_level = logical for <c>follow</c>.</summary>
public sealed class LogicalDatabaseFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public string Url(string database) => $"postgresql://{ThrowawayCluster.SuperUser}@127.0.0.1:{Cluster.Port}/{database}";

    public async Task InitializeAsync() => _cluster = await ThrowawayCluster.StartAsync(new ThrowawayClusterOptions { LogicalReplication = true });

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary><c>follow</c> killed repeatedly under load, and <c>restore --to-lsn</c> to each moment recorded meanwhile.</summary>
public sealed class FollowCommandTests(LogicalDatabaseFixture fixture) : IClassFixture<LogicalDatabaseFixture>
{
    private static readonly string[] Tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"];

    private ThrowawayCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_follow_killed_five_times_under_load_restores_to_each_recorded_moment_as_the_source_was_then()
    {
        using var repo = new TestRepo();
        await repo.InitAsync();
        repo.Cli.Environment["PGPASSWORD"] = Cluster.SuperPassword;
        await Cluster.CreateDatabaseAsync("bench");
        await Cluster.RunClientAsync("pgbench", ["-i", "-s", "1", "-q", Cluster.Url("bench")]);

        var refused = await repo.Cli.RunAsync("follow", "--db", fixture.Url("bench"), "--flush", "1");
        refused.ExitCode.Should().Be(53, refused.ToString());
        refused.Stderr.Should().Contain("pgbench_history");
        await Cluster.ExecuteAsync("ALTER TABLE pgbench_history REPLICA IDENTITY FULL", "bench");

        using var stopLoad = new CancellationTokenSource();
        var paused = new SemaphoreSlim(1, 1);
        var load = Task.Run(() => LoadAsync(paused, stopLoad.Token));
        var moments = new List<(string Lsn, Dictionary<string, string> Hashes)>();
        for (var round = 0; round < 5; round++)
        {
            using var follow = repo.Cli.Start("follow", "--db", fixture.Url("bench"), "--flush", "1");
            await WaitUntilAsync(async () => await Cluster.ScalarAsync<bool>(
                "SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = 'lifeboat'", "bench"), "follow streams");
            await Task.Delay(300);
            await paused.WaitAsync();
            try
            {
                var lsn = await Cluster.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", "bench");
                moments.Add((lsn, await HashesAsync("bench")));
            }
            finally
            {
                paused.Release();
            }

            var moment = moments[^1].Lsn;
            await WaitUntilAsync(async () => await Cluster.ScalarAsync<bool>(
                $"SELECT coalesce(bool_or(confirmed_flush_lsn >= '{moment}'), false) FROM pg_replication_slots WHERE slot_name = 'lifeboat'", "bench"), "the moment is durable");
            follow.Kill();
            await follow.WaitForExitAsync();
        }

        await stopLoad.CancelAsync();
        await load;

        for (var i = 0; i < moments.Count; i++)
        {
            var target = $"bench_at_{i}";
            var restored = await repo.Cli.RunAsync("restore", "latest", "--to", fixture.Url(target), "--create", "--to-lsn", moments[i].Lsn);
            restored.ExitCode.Should().Be(0, restored.ToString());
            (await HashesAsync(target)).Should().Equal(moments[i].Hashes, $"the restore to moment {i} ({moments[i].Lsn}) matches the source then");
        }

        var coverage = await repo.Cli.RunAsync("snapshots", "--changes", "--json");
        coverage.ExitCode.Should().Be(0, coverage.ToString());
        using (var json = System.Text.Json.JsonDocument.Parse(coverage.Stdout))
        {
            var only = json.RootElement.EnumerateArray().Should().ContainSingle().Subject;
            only.GetProperty("gaps").GetArrayLength().Should().Be(0);
            Lifeboat.Repository.Changes.LogPosition.Parse(only.GetProperty("toLsn").GetString()!)
                .Should().BeGreaterThanOrEqualTo(Lifeboat.Repository.Changes.LogPosition.Parse(moments[^1].Lsn));
        }

        var beyond = await repo.Cli.RunAsync("restore", "latest", "--to", fixture.Url("bench_beyond"), "--create", "--to-lsn", "FF/0");
        beyond.ExitCode.Should().Be(55, beyond.ToString());
        beyond.Stderr.Should().Contain("covers");

        var stop = await repo.Cli.RunAsync("follow", "--stop", "--db", fixture.Url("bench"));
        stop.ExitCode.Should().Be(0, stop.ToString());
        (await Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots", "bench")).Should().Be(0);
    }

    [Fact]
    public async Task Following_a_server_without_logical_wal_says_what_to_set()
    {
        await using var plain = await ThrowawayCluster.StartAsync();
        using var repo = new TestRepo();
        await repo.InitAsync();
        repo.Cli.Environment["PGPASSWORD"] = plain.SuperPassword;

        var result = await repo.Cli.RunAsync("follow", "--db", $"postgresql://{ThrowawayCluster.SuperUser}@127.0.0.1:{plain.Port}/postgres");

        result.ExitCode.Should().Be(50, result.ToString());
        result.Stderr.Should().Contain("wal_level");
    }

    private async Task LoadAsync(SemaphoreSlim paused, CancellationToken stop)
    {
        var random = new Random(21);
        while (!stop.IsCancellationRequested)
        {
            await paused.WaitAsync(CancellationToken.None);
            try
            {
                var aid = random.Next(1, 100_001);
                var delta = random.Next(-5000, 5001);
                await Cluster.ExecuteAsync(
                    $"BEGIN; UPDATE pgbench_accounts SET abalance = abalance + {delta} WHERE aid = {aid}; " +
                    $"UPDATE pgbench_tellers SET tbalance = tbalance + {delta} WHERE tid = {1 + (aid % 10)}; " +
                    $"UPDATE pgbench_branches SET bbalance = bbalance + {delta} WHERE bid = 1; " +
                    $"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({1 + (aid % 10)}, 1, {aid}, {delta}, '2026-01-01'); COMMIT;",
                    "bench", CancellationToken.None);
            }
            finally
            {
                paused.Release();
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    private async Task<Dictionary<string, string>> HashesAsync(string database)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var table in Tables)
        {
            hashes[table] = await Cluster.ScalarAsync<string>(
                $"SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t", database);
        }

        return hashes;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), $"waiting until {what}");
            await Task.Delay(100);
        }
    }
}
