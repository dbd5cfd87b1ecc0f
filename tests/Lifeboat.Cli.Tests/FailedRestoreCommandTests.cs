using System.Diagnostics;
using System.Text.Json;
using Lifeboat.Postgres;

namespace Lifeboat.Cli.Tests;

/// <summary>A cluster with database "big": one table large enough that a restore can be stopped while it loads.</summary>
public sealed class BigDatabaseFixture : IAsyncLifetime
{
    private ThrowawayCluster? _cluster;

    public ThrowawayCluster Cluster => _cluster ?? throw new InvalidOperationException("cluster not started");

    public string Url(string database) => $"postgresql://{ThrowawayCluster.SuperUser}@127.0.0.1:{Cluster.Port}/{database}";

    public async Task InitializeAsync()
    {
        _cluster = await ThrowawayCluster.StartAsync();
        await _cluster.CreateDatabaseAsync("big");
        await _cluster.ExecuteAsync(
            """
            CREATE TABLE public.events (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.events SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 1000000) g;
            CREATE TABLE public.small (id int PRIMARY KEY);
            INSERT INTO public.small SELECT generate_series(1, 10);
            """,
            "big");
    }

    /// <summary>How many of <paramref name="target"/> and its staging database exist.</summary>
    public Task<long> DatabasesNamedAsync(string target) =>
        Cluster.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_catalog.pg_database WHERE datname IN ('{target}', '{StagedDatabase.StagingName(target)}')");

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// A restore that fails, is interrupted or is killed never leaves a database that looks restored:
/// the exit code says why, the message says what is left, and the next restore cleans up after a killed one
/// (as the next drill does after a killed drill).
/// </summary>
public sealed class FailedRestoreCommandTests : IClassFixture<BigDatabaseFixture>, IDisposable
{
    private readonly BigDatabaseFixture _db;
    private readonly TestRepo _repo = new();

    public FailedRestoreCommandTests(BigDatabaseFixture db)
    {
        _db = db;
        _repo.Cli.Environment["PGPASSWORD"] = db.Cluster.SuperPassword;
    }

    [Fact]
    public async Task A_restore_create_of_a_damaged_snapshot_exits_3_names_the_damage_and_leaves_no_database()
    {
        await BackupAsync();
        // the biggest pack holds rows of public.events (the manifest, written last, is in a small one)
        var pack = _repo.Files("data").OrderByDescending(f => new FileInfo(f).Length).First();
        TestRepo.FlipByte(pack);

        var text = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("damaged_text"), "--create");
        var json = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("damaged_json"), "--create", "--json");

        text.ExitCode.Should().Be(3, text.ToString());
        text.Stderr.Should().Contain("is damaged").And.Contain("Nothing was left behind: database \"damaged_text\" was not created");
        text.Stderr.Should().NotContain("restored snapshot");
        json.ExitCode.Should().Be(3, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("exitCode").GetInt32().Should().Be(3);
        var left = doc.RootElement.GetProperty("restore");
        left.GetProperty("leftBehind").GetString().Should().Be("nothing");
        left.GetProperty("database").GetString().Should().Be("damaged_json");
        (await _db.DatabasesNamedAsync("damaged_text")).Should().Be(0);
        (await _db.DatabasesNamedAsync("damaged_json")).Should().Be(0);
    }

    [Fact]
    public async Task A_restore_interrupted_while_it_loads_exits_130_and_drops_the_database_it_was_creating()
    {
        await BackupAsync();

        // one connection: the load lasts long enough under a loaded machine for the signal to land inside it
        using var restore = _repo.Cli.Start(interruptible: true, "restore", "latest", "--to", _db.Url("interrupted"), "--create", "--jobs", "1");
        await WhileLoadingAsync(restore, "interrupted");
        IgnoresSigint(restore.Id).Should().BeFalse("the restore must be able to receive Ctrl-C for this test to mean anything");
        SendSigint(restore.Id);

        await restore.WaitForExitAsync();
        var stderr = await restore.StandardError.ReadToEndAsync();

        restore.ExitCode.Should().Be(130, stderr);
        stderr.Should().Contain("interrupted. Nothing was left behind: database \"interrupted\" was not created");
        (await _db.DatabasesNamedAsync("interrupted")).Should().Be(0);
    }

    [Fact]
    public async Task A_restore_killed_while_it_loads_leaves_only_its_marked_staging_database_which_the_next_restore_removes()
    {
        await BackupAsync();
        var staging = StagedDatabase.StagingName("killed");

        using (var restore = _repo.Cli.Start("restore", "latest", "--to", _db.Url("killed"), "--create"))
        {
            await WhileLoadingAsync(restore, "killed");
            restore.Kill(entireProcessTree: true);
            await restore.WaitForExitAsync();
        }

        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_catalog.pg_database WHERE datname = 'killed'"))
            .Should().Be(0, "a killed restore never leaves a database under the target's name");
        (await _db.Cluster.ScalarAsync<string>($"SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database WHERE datname = '{staging}'"))
            .Should().StartWith("Lifeboat is restoring snapshot").And.Contain("this is an incomplete restore: drop it");

        var again = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("killed"), "--create", "--verify");

        again.ExitCode.Should().Be(0, again.ToString());
        again.Stderr.Should().Contain($"removed database \"{staging}\": an incomplete restore left by process");
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM public.events", "killed")).Should().Be(1_000_000);
        (await _db.Cluster.ScalarAsync<long>($"SELECT count(*) FROM pg_catalog.pg_database WHERE datname = '{staging}'")).Should().Be(0);
    }

    [Fact]
    public async Task A_drill_killed_while_it_restores_leaves_its_marked_scratch_database_which_the_next_drill_removes()
    {
        await BackupAsync();
        string scratch;

        using (var drill = _repo.Cli.Start("drill", "--scratch", _db.Url("postgres"), "--jobs", "1"))
        {
            scratch = await WhileDrillLoadsAsync(drill);
            drill.Kill(entireProcessTree: true);
            await drill.WaitForExitAsync();
        }

        (await _db.Cluster.ScalarAsync<string>($"SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database WHERE datname = '{scratch}'"))
            .Should().StartWith("Lifeboat drill of snapshot").And.Contain("this is an incomplete drill: drop it");

        var again = await _repo.Cli.RunAsync("drill", "--scratch", _db.Url("postgres"), "--jobs", "2");

        again.ExitCode.Should().Be(0, again.ToString());
        again.Stderr.Should().Contain($"removed database \"{scratch}\": an incomplete drill left by process");
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_catalog.pg_database WHERE datname LIKE 'lifeboat\\_drill\\_%'"))
            .Should().Be(0, "the leftover is gone and the second drill dropped its own");
    }

    private async Task BackupAsync()
    {
        await _repo.InitAsync();
        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("big"), "--jobs", "2");
        backup.ExitCode.Should().Be(0, backup.ToString());
    }

    /// <summary>
    /// Waits until <paramref name="restore"/> is loading rows into the staging database of <paramref name="target"/>: a COPY
    /// that runs now (an idle connection keeps showing its last query, a COPY that already ended).
    /// </summary>
    private async Task WhileLoadingAsync(Process restore, string target)
    {
        var staging = StagedDatabase.StagingName(target);
        var clock = Stopwatch.StartNew();
        while (await _db.Cluster.ScalarAsync<long>(
                   $"SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = '{staging}' AND state = 'active' AND query LIKE 'COPY %'") == 0)
        {
            if (restore.HasExited)
            {
                throw new InvalidOperationException($"the restore ended (exit {restore.ExitCode}) before it was seen loading: {await restore.StandardError.ReadToEndAsync()}");
            }

            clock.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "the restore should begin loading");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="drill"/> loads rows into its scratch database (a COPY that runs now); returns that database's name.</summary>
    private async Task<string> WhileDrillLoadsAsync(Process drill)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var loading = await _db.Cluster.ScalarAsync<string>(
                "SELECT coalesce(max(datname::text), '') FROM pg_catalog.pg_stat_activity WHERE datname LIKE 'lifeboat\\_drill\\_%' AND state = 'active' AND query LIKE 'COPY %'");
            if (loading.Length > 0)
            {
                return loading;
            }

            if (drill.HasExited)
            {
                throw new InvalidOperationException($"the drill ended (exit {drill.ExitCode}) before it was seen loading: {await drill.StandardError.ReadToEndAsync()}");
            }

            clock.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "the drill should begin loading");
            await Task.Delay(20);
        }
    }

    /// <summary>Whether the process ignores SIGINT (bit 1 of SigIgn in /proc/PID/status).</summary>
    private static bool IgnoresSigint(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }

    /// <summary>SIGINT (Ctrl-C) straight from this process: a spawned kill(1) can take longer than the load lasts.</summary>
    private static void SendSigint(int pid) => Kill(pid, 2).Should().Be(0, "the restore process is there to be signalled");

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public void Dispose() => _repo.Dispose();
}
