using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Status;
using Lifeboat.Repository;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Operations.Tests;

public sealed class StatusTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);
    private static readonly StatusLimits Limits = new(TimeSpan.FromHours(25), TimeSpan.FromDays(35), TimeSpan.FromDays(8));
    private readonly FakeTimeProvider _clock = new(Start);

    private async Task<BackupRepository> RepositoryWithHistoryAsync()
    {
        var repository = await ProofRepositories.InitAsync(new RepositoryContext(_clock, Identity.Current));
        await new StreamBackup(new OpenedRepository(repository, "test"), new Repository.Backup.BackupWriterOptions())
            .RunAsync(new StreamBackupRequest("app.dump", new MemoryStream([1, 2, 3])), null, CancellationToken.None);
        await OperationAudit.AppendAsync(repository, "check", _clock.GetUtcNow(), new AuditFacts(), CancellationToken.None);
        return repository;
    }

    private Task<StatusReport> StatusAsync(BackupRepository repository) =>
        RepositoryStatus.RunAsync(repository, Limits with { MaxDrillAge = null }, _clock, CancellationToken.None);

    [Fact]
    public async Task Fresh_backups_and_checks_are_ok()
    {
        var repository = await RepositoryWithHistoryAsync();
        _clock.Advance(TimeSpan.FromHours(24));

        var status = await StatusAsync(repository);

        status.Health.Should().Be(Health.Ok);
        status.Items.Select(i => (i.What, i.Subject)).Should().Equal(("backup", "app.dump"), ("check", "repository"));
        status.Items[0].Message.Should().StartWith("OK: backup of app.dump: last at 2026-03-01 02:00 UTC, 24h ago (limit 25h)");
    }

    [Fact]
    public async Task A_backup_past_its_limit_by_less_than_a_fifth_is_a_warning_with_one_line()
    {
        var repository = await RepositoryWithHistoryAsync();
        _clock.Advance(TimeSpan.FromHours(28));

        var status = await StatusAsync(repository);

        status.Health.Should().Be(Health.Warning);
        status.Problems.Should().ContainSingle().Which.Message.Should().Be(
            "WARNING: backup of app.dump is overdue: last at 2026-03-01 02:00 UTC, 28h ago (limit 25h)");
    }

    [Fact]
    public async Task A_backup_far_past_its_limit_and_a_missing_drill_are_critical()
    {
        var repository = await RepositoryWithHistoryAsync();
        _clock.Advance(TimeSpan.FromHours(40));

        var status = await StatusAsync(repository);
        var withDrills = await RepositoryStatus.RunAsync(repository, Limits, _clock, CancellationToken.None);

        status.Health.Should().Be(Health.Critical);
        status.Problems.Single().Message.Should().StartWith("CRITICAL: backup of app.dump is overdue");
        withDrills.Items.Should().NotContain(i => i.What == "drill", "drills apply to database sources only");
    }

    [Fact]
    public async Task A_failed_check_after_the_last_good_one_warns_and_an_old_check_is_critical()
    {
        var repository = await RepositoryWithHistoryAsync();
        _clock.Advance(TimeSpan.FromDays(2));
        await OperationAudit.AppendAsync(repository, "check", _clock.GetUtcNow(), new AuditFacts { Failed = true, Error = "1 error(s): pack damaged" }, CancellationToken.None);
        await new StreamBackup(new OpenedRepository(repository, "test"), new Repository.Backup.BackupWriterOptions())
            .RunAsync(new StreamBackupRequest("app.dump", new MemoryStream([4])), null, CancellationToken.None);

        var failedCheck = await StatusAsync(repository);
        _clock.Advance(TimeSpan.FromDays(8));
        var oldCheck = await RepositoryStatus.RunAsync(repository, Limits with { MaxBackupAge = null, MaxDrillAge = null }, _clock, CancellationToken.None);

        failedCheck.Health.Should().Be(Health.Warning);
        failedCheck.Problems.Single().Message.Should().Contain("the last attempt failed").And.Contain("pack damaged");
        oldCheck.Health.Should().Be(Health.Critical);
        oldCheck.Problems.Single().What.Should().Be("check");
    }

    [Fact]
    public void Drills_of_database_sources_are_rated_from_the_audit_log()
    {
        var snapshot = new SnapshotRecord(default, new Snapshot
        {
            Time = Start, Host = "h", User = "u", Kind = DatabaseBackup.Kind, Source = "db:5432/app", Streams = [],
            Summary = new SnapshotSummary(0, 0, 0, 0, 0, 0, 0), Program = "test",
        });
        var drill = new Repository.Audit.AuditRecord
        {
            Operation = "drill", Status = Repository.Audit.AuditStatus.Ok, Started = Start, Finished = Start, Source = "db:5432/app",
        };

        var fresh = RepositoryStatus.Evaluate([snapshot], [drill], Limits with { MaxBackupAge = null, MaxCheckAge = null }, Start.AddDays(30));
        var late = RepositoryStatus.Evaluate([snapshot], [drill], Limits with { MaxBackupAge = null, MaxCheckAge = null }, Start.AddDays(40));
        var never = RepositoryStatus.Evaluate([snapshot], [], Limits with { MaxBackupAge = null, MaxCheckAge = null }, Start);

        fresh.Health.Should().Be(Health.Ok);
        late.Health.Should().Be(Health.Warning);
        never.Health.Should().Be(Health.Critical);
        never.Problems.Single().Message.Should().Be("CRITICAL: no successful drill of db:5432/app recorded (limit 35d)");
    }
}
