using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Evidence;

namespace Lifeboat.Operations.Report;

/// <summary>Backups of one source in the period.</summary>
public sealed record SourceSummary(string Source, int Backups, DateTimeOffset? LastBackup, long BytesRead, long StoredBytes);

/// <summary>How often an operation ran in the period and how it ended.</summary>
public sealed record OperationCount(string Operation, int Ok, int Failed, int Interrupted);

/// <summary>A failed or interrupted operation.</summary>
public sealed record FailureLine(DateTimeOffset Time, string Operation, string Status, string? Source, string? Error);

/// <summary>A drill in the period with its objectives.</summary>
public sealed record DrillLine(
    DateTimeOffset Time, string? Snapshot, string? Source, bool Passed, double? RtoSeconds, double? RtoLimitSeconds, double? RpoSeconds, double? RpoLimitSeconds,
    string Evidence, IReadOnlyList<string> FailedChecks);

/// <summary>The latest run of an operation (at any time).</summary>
public sealed record LastRun(string Operation, DateTimeOffset Time, string Status, string? Evidence, string? Note);

/// <summary>
/// <c>lifeboat report --since 30d</c>: the compliance summary of a period — backups made per source,
/// failures, drills with RTO/RPO achieved, the latest integrity check, retention runs, and whether
/// the audit log's chain is intact. Snapshots and evidence reports that cannot be read are left out of
/// the figures and named (<see cref="DamagedSnapshots"/>, <see cref="DamagedEvidence"/>).
/// </summary>
public sealed record ComplianceReport(
    DateTimeOffset From,
    DateTimeOffset To,
    string Repository,
    IReadOnlyList<SourceSummary> Sources,
    IReadOnlyList<OperationCount> Operations,
    IReadOnlyList<FailureLine> Failures,
    IReadOnlyList<DrillLine> Drills,
    LastRun? LastCheck,
    IReadOnlyList<LastRun> Retention,
    int AuditRecords,
    IReadOnlyList<string> AuditProblems,
    IReadOnlyList<DamagedSnapshot> DamagedSnapshots,
    IReadOnlyList<string> DamagedEvidence)
{
    /// <summary>Gathers the report for the period ending at the provider's "now".</summary>
    public static async Task<ComplianceReport> BuildAsync(BackupRepository repository, TimeSpan since, TimeProvider time, CancellationToken cancellationToken)
    {
        var to = time.GetUtcNow();
        var from = to - since;
        var (snapshots, damagedSnapshots) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        var audit = await AuditLog.VerifyAsync(repository, snapshots, cancellationToken);
        var records = audit.Entries.Select(e => e.Record).ToList();
        var inPeriod = records.Where(r => r.Finished >= from && r.Finished <= to).ToList();
        var damagedEvidence = new List<IntegrityException>();
        var evidence = await EvidenceStore.LoadAllAsync(repository, damagedEvidence, cancellationToken);

        var sources = snapshots.Where(s => s.Snapshot.Time >= from && s.Snapshot.Time <= to)
            .GroupBy(s => s.Snapshot.Source, StringComparer.Ordinal)
            .Select(g => new SourceSummary(g.Key, g.Count(), g.Max(s => s.Snapshot.Time), g.Sum(s => s.Snapshot.Summary.BytesRead), g.Sum(s => s.Snapshot.Summary.StoredBytes)))
            .OrderBy(s => s.Source, StringComparer.Ordinal).ToList();
        var operations = inPeriod.GroupBy(r => r.Operation, StringComparer.Ordinal)
            .Select(g => new OperationCount(g.Key, g.Count(r => r.Status == AuditStatus.Ok), g.Count(r => r.Status == AuditStatus.Failed), g.Count(r => r.Status == AuditStatus.Interrupted)))
            .OrderBy(o => o.Operation, StringComparer.Ordinal).ToList();
        var failures = inPeriod.Where(r => r.Status != AuditStatus.Ok)
            .Select(r => new FailureLine(r.Finished, r.Operation, r.Status, r.Source, r.Error)).ToList();
        var drills = evidence.Where(e => e.Envelope.Kind == "drill" && e.Envelope.Created >= from && e.Envelope.Created <= to)
            .Select(e => Drill(EvidenceRecorder.FromEntry(e))).ToList();
        var lastCheck = records.Where(r => r.Operation == "check").MaxBy(r => r.Finished) is { } c
            ? new LastRun("check", c.Finished, c.Status, c.Evidence, c.Details?.GetValueOrDefault("readDataPercent") is { } p ? $"read data {p}%" : null)
            : null;
        var retention = new[] { "forget", "prune" }
            .Select(op => records.Where(r => r.Operation == op).MaxBy(r => r.Finished))
            .OfType<AuditRecord>()
            .Select(r => new LastRun(r.Operation, r.Finished, r.Status, r.Evidence, r.Error)).ToList();
        return new ComplianceReport(from, to, repository.Config.Id, sources, operations, failures, drills, lastCheck, retention,
            audit.Records, [.. audit.Problems.Select(p => p.Message)], DamagedSnapshot.From(damagedSnapshots), [.. damagedEvidence.Select(e => e.Message)]);
    }

    private static DrillLine Drill(SavedEvidence saved)
    {
        var report = saved.Report;
        var rto = report.Objectives.FirstOrDefault(o => o.Name == "RTO");
        var rpo = report.Objectives.FirstOrDefault(o => o.Name == "RPO");
        return new DrillLine(report.Finished, report.Snapshot?.Id, report.Snapshot?.Source, report.Passed,
            report.Figures["rtoSeconds"]?.GetValue<double>(), rto?.LimitSeconds,
            rpo?.AchievedSeconds, rpo?.LimitSeconds, saved.Id, [.. report.Checks.Where(c => !c.Passed).Select(c => c.Name)]);
    }
}
