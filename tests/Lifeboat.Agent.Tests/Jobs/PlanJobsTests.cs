using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Retention;

namespace Lifeboat.Agent.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class PlanJobsTests(JobsFixture fixture)
{
    private static readonly RunOptions Scheduled = RunOptions.Scheduled;

    [Fact]
    public async Task A_backup_job_makes_a_snapshot_with_the_plan_tags_copies_it_and_applies_the_retention()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan("retention: { keep_last: 2 }");
        var plan = file.Plans.Single();
        var jobs = world.Jobs();
        await world.AddOtherSnapshotsAsync(3);
        var reports = new List<JobReport>();
        for (var i = 0; i < 3; i++)
        {
            var options = i == 2 ? new RunOptions(["pre-migration"], DateTimeOffset.UtcNow.AddDays(30), 0) : Scheduled;
            reports.Add(await jobs.RunAsync(file, plan, RunKind.Backup, options, new StatusLines(), CancellationToken.None));
        }

        await using var main = await world.OpenMainAsync();
        var all = await JobsWorld.SnapshotsAsync(main);
        all.Where(s => s.Snapshot.Source == "other").Should().HaveCount(3, "the retention applies to the plan's source only");
        var snapshots = all.Where(s => s.Snapshot.Source != "other").ToList();
        snapshots.Should().HaveCount(2, "keep_last: 2 is applied after each backup");
        snapshots[0].Snapshot.Tags.Should().Equal("scheduled");
        snapshots[1].Snapshot.Tags.Should().Equal("scheduled", "pre-migration");
        snapshots[1].Snapshot.Source.Should().Be($"127.0.0.1:{fixture.Cluster.Port}/app");
        (await HoldStore.LoadAllAsync(main, CancellationToken.None)).Should().ContainSingle(h => h.Record.Snapshot == snapshots[1].Id.ToString());

        var last = reports[2];
        last.Summary.Should().Contain(snapshots[1].ShortId);
        last.Failure.Should().BeNull();
        last.Figures.Should().ContainKey("size_bytes").WhoseValue.Should().Be(snapshots[1].Snapshot.Summary.BytesRead);
        last.Figures.Should().ContainKey("added_bytes");
        last.Figures.Should().ContainKey("stored_bytes").WhoseValue.Should().BeGreaterThan(0);
        last.Figures.Should().ContainKey("forgotten_snapshots").WhoseValue.Should().Be(1);
        last.Copies.Should().ContainSingle().Which.Should().Be(new CopyReport("offsite", null, 0));

        await using var offsite = await world.OpenOffsiteAsync();
        (await JobsWorld.SnapshotsAsync(offsite)).Should().HaveCount(3, "each backup is copied; the retention is the primary's");
    }

    [Fact]
    public async Task A_copy_that_fails_is_a_copy_report_with_its_error_while_the_backup_succeeds()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan(copies: "[missing, offsite]");

        var report = await world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);

        report.Failure.Should().BeNull();
        report.Copies.Select(c => c.Repository).Should().Equal("missing", "offsite");
        report.Copies[0].Succeeded.Should().BeFalse();
        report.Copies[0].Error.Should().Contain("missing").And.NotContain(JobsWorld.OffsitePassword);
        report.Copies[1].Succeeded.Should().BeTrue();
        await using var main = await world.OpenMainAsync();
        (await JobsWorld.SnapshotsAsync(main)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_check_with_a_subset_rotation_reads_another_part_of_the_packs_each_round_and_all_of_them_in_n_rounds()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan("check: { schedule: every 1d, read_data_subset: 3 }");
        var plan = file.Plans.Single();
        var jobs = world.Jobs();
        await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        int packs;
        await using (var main = await world.OpenMainAsync())
        {
            packs = (await MasterIndex.LoadAsync(main, CancellationToken.None)).Packs.Count;
        }

        var rounds = new List<JobReport>();
        for (var round = 0; round < 3; round++)
        {
            rounds.Add(await jobs.RunAsync(file, plan, RunKind.Check, new RunOptions([], null, round), new StatusLines(), CancellationToken.None));
        }

        packs.Should().BeGreaterThan(3);
        rounds.Should().AllSatisfy(r => r.Failure.Should().BeNull());
        rounds.Select(r => r.Summary).Should().SatisfyRespectively(
            r => r.Should().Contain("part 1/3"), r => r.Should().Contain("part 2/3"), r => r.Should().Contain("part 3/3"));
        rounds.Sum(r => r.Figures["packs_read"]).Should().Be(packs, "the three parts are disjoint and cover every pack");
        rounds.Should().OnlyContain(r => r.Figures["packs_read"] < packs);
    }

    [Fact]
    public async Task A_check_that_finds_damage_reports_a_failure_not_an_exception()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan("check: { schedule: every 1d }");
        var plan = file.Plans.Single();
        var jobs = world.Jobs();
        await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        var pack = Directory.EnumerateFiles(Path.Combine(world.MainDirectory, "data"), "*", SearchOption.AllDirectories).First();
        File.Delete(pack);

        var report = await jobs.RunAsync(file, plan, RunKind.Check, Scheduled, new StatusLines(), CancellationToken.None);

        report.Failure.Should().StartWith("the check found ").And.Contain(Path.GetFileName(pack));
        report.Figures["problems"].Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public async Task A_drill_restores_the_latest_snapshot_of_the_source_and_reports_its_rto_and_rpo()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan($"drill: {{ schedule: every 7d, scratch: {world.Scratch}, rto: 1s }}");
        var plan = file.Plans.Single();
        var jobs = world.Jobs();
        await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        var status = new StatusLines();

        var report = await jobs.RunAsync(file, plan, RunKind.Drill, Scheduled, status, CancellationToken.None);

        report.Failure.Should().BeNull("the objectives are the host's to judge, so an RTO of 1s does not fail the drill itself");
        report.Summary.Should().Contain("PASSED");
        report.Figures["rto_seconds"].Should().BeGreaterThan(0);
        report.Figures["rpo_seconds"].Should().BeGreaterThanOrEqualTo(0);
        status.Lines.Should().Contain(l => l.StartsWith("drill: restoring", StringComparison.Ordinal));
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat\\_drill\\_%'")).Should().Be(0);
    }

    [Fact]
    public async Task A_prune_reports_the_bytes_it_freed_and_those_stored()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan("retention: { keep_last: 1 }\nprune: { schedule: every 7d }");
        var plan = file.Plans.Single();
        var jobs = world.Jobs();
        await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        await fixture.Cluster.ExecuteAsync("CREATE TABLE public.scratch_rows AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 20000) g", "app");
        try
        {
            await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
            await fixture.Cluster.ExecuteAsync("DROP TABLE public.scratch_rows", "app");
            await jobs.RunAsync(file, plan, RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        }
        finally
        {
            await fixture.Cluster.ExecuteAsync("DROP TABLE IF EXISTS public.scratch_rows", "app");
        }

        var report = await jobs.RunAsync(file, plan, RunKind.Prune, Scheduled, new StatusLines(), CancellationToken.None);

        report.Figures["removed_bytes"].Should().BeGreaterThan(0, "the rows only the forgotten snapshot held are gone");
        report.Figures["stored_bytes"].Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_locked_repository_is_waited_for_and_said_so_then_the_job_proceeds_once_the_lock_is_released()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan(copies: "[]");
        await using var holder = await world.OpenMainAsync();
        var held = await Locks.AcquireAsync(holder, exclusive: true, "prune", CancellationToken.None);
        var status = new StatusLines();
        var waited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tries = 0;
        status.Said += line =>
        {
            if (line.StartsWith("waiting for the lock on repository main", StringComparison.Ordinal) && Interlocked.Increment(ref tries) == 2)
            {
                waited.TrySetResult();
            }
        };

        var job = world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, status, CancellationToken.None);
        await waited.Task.WaitAsync(TimeSpan.FromSeconds(60));
        job.IsCompleted.Should().BeFalse();
        await held.DisposeAsync();
        var report = await job.WaitAsync(TimeSpan.FromSeconds(120));

        report.Failure.Should().BeNull();
        status.Lines.Should().Contain(l => l.Contains("an exclusive lock for 'prune' held by", StringComparison.Ordinal) && l.Contains("trying again in", StringComparison.Ordinal));
        (await JobsWorld.SnapshotsAsync(holder)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_locked_copy_repository_is_waited_for_and_the_copy_made_once_it_is_released()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan();
        await using var holder = await world.OpenOffsiteAsync();
        var held = await Locks.AcquireAsync(holder, exclusive: true, "prune", CancellationToken.None);
        var status = new StatusLines();
        status.Said += line =>
        {
            if (line.StartsWith("waiting for the lock on repository offsite", StringComparison.Ordinal))
            {
                _ = held.DisposeAsync().AsTask();
            }
        };

        var report = await world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, status, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        report.Copies.Should().ContainSingle().Which.Should().Be(new CopyReport("offsite", null, 0));
        status.Lines.Should().Contain(l => l.StartsWith("waiting for the lock on repository offsite: the repository is locked: an exclusive lock for 'prune' held by", StringComparison.Ordinal));
        (await JobsWorld.SnapshotsAsync(holder)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_copy_repository_locked_longer_than_the_patience_is_a_failed_copy_that_says_so_and_the_backup_stands()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan();
        var jobs = world.Jobs(copyLockPatience: TimeSpan.FromSeconds(2));
        await jobs.RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);
        await using var holder = await world.OpenOffsiteAsync();
        await using var held = await Locks.AcquireAsync(holder, exclusive: true, "prune", CancellationToken.None);

        var report = await jobs.RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        report.Failure.Should().BeNull();
        var copy = report.Copies.Should().ContainSingle().Subject;
        copy.Error.Should().Contain("repository offsite stayed locked by another process for 2.0 s: the copy was given up");
        copy.LagSeconds.Should().BeGreaterThan(0, "the copy holds the previous snapshot only");
        await using var main = await world.OpenMainAsync();
        (await JobsWorld.SnapshotsAsync(main)).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_cancelled_backup_commits_nothing()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan(copies: "[]");
        using var cancel = new CancellationTokenSource();
        var status = new StatusLines();
        status.Said += line =>
        {
            if (line.Contains("tables", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        };

        var run = () => world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, status, cancel.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
        await using var main = await world.OpenMainAsync();
        (await JobsWorld.SnapshotsAsync(main)).Should().BeEmpty();
    }

    [Fact]
    public async Task An_unset_password_variable_is_a_clear_error_naming_the_repository_and_the_variable()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        var file = world.Plan(copies: "[]", mainPassword: "\"${LB_TEST_UNSET}\"");

        var run = () => world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);

        (await run.Should().ThrowAsync<PlanSecretException>())
            .Which.Message.Should().Be("repository main: the environment variable LB_TEST_UNSET named by its password is not set");
    }

    [Fact]
    public async Task A_source_that_is_down_throws_an_exception_saying_so_without_its_password()
    {
        await using var world = await JobsWorld.CreateAsync(fixture.Cluster);
        using var unused = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        unused.Start();
        var port = ((System.Net.IPEndPoint)unused.LocalEndpoint).Port;
        unused.Stop();
        var file = world.Plan(copies: "[]", port: port);

        var run = () => world.Jobs().RunAsync(file, file.Plans.Single(), RunKind.Backup, Scheduled, new StatusLines(), CancellationToken.None);

        var thrown = (await run.Should().ThrowAsync<DatabaseUnreachableException>()).Which;
        thrown.Message.Should().Contain($"127.0.0.1:{port}").And.NotContain(fixture.Cluster.SuperPassword);
        await using var main = await world.OpenMainAsync();
        (await JobsWorld.SnapshotsAsync(main)).Should().BeEmpty();
    }
}
