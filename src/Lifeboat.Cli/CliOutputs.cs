using System.Text.Json.Nodes;
using Lifeboat.Operations;
using Lifeboat.Operations.Evidence;
using Lifeboat.Operations.Status;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Check;
using Lifeboat.Repository.Prune;

namespace Lifeboat.Cli;

// The shapes the commands print with --json (property names camelCase, nulls left out; see
// CliContext.JsonOutput). Named records rather than anonymous types: their metadata is generated
// at build time (CliJsonContext), which the natively compiled binary needs (no reflection there).

/// <summary><c>--json</c> of any failure: the message and the exit code (and, for a failed restore, what it left behind).</summary>
internal sealed record ErrorOutput(string Error, int ExitCode, RestoreAftermath? Restore = null);

/// <summary><c>backup --json</c>.</summary>
internal sealed record BackupOutput(
    string Snapshot, DateTimeOffset Time, string Source, SnapshotSummary Summary, JsonObject? Manifest, IReadOnlyList<string> Warnings, IReadOnlyList<CopyOutcome>? Copies);

/// <summary>One <c>--also-to</c> copy of a new snapshot: the copy's id, or why it failed.</summary>
internal sealed record CopyOutcome(string Repository, bool Ok, string? Snapshot = null, string? Error = null, int? ExitCode = null);

/// <summary><c>check --json</c>.</summary>
internal sealed record CheckOutput(
    bool Ok, IReadOnlyList<CheckProblem> Problems, IReadOnlyList<string> Notes, int Snapshots, int IndexFiles, int Packs, int PacksRead,
    long BytesRead, int BlobsReferenced, int UnreferencedPacks, int AuditRecords, int EvidenceReports)
{
    public static CheckOutput Of(CheckReport r) => new(
        r.Ok, r.Problems, r.Notes, r.Snapshots, r.IndexFiles, r.Packs, r.PacksRead, r.BytesRead, r.BlobsReferenced, r.UnreferencedPacks, r.AuditRecords, r.EvidenceReports);
}

/// <summary>One entry of <c>snapshots --json</c>: a readable snapshot, or (id, shortId, damaged) for one that cannot be read.</summary>
internal sealed record SnapshotListItem(
    string Id, string ShortId, DateTimeOffset? Time = null, string? Host = null, string? User = null, string? Kind = null, string? Source = null,
    IReadOnlyList<string>? Tags = null, long? Size = null, int? Streams = null, SnapshotSummary? Summary = null, string? CopiedFrom = null, string? Damaged = null);

/// <summary><c>ls --json</c>.</summary>
internal sealed record StreamListOutput(string Id, DateTimeOffset Time, IReadOnlyList<StreamListItem> Streams);

internal sealed record StreamListItem(string Name, long Size, string Sha256);

/// <summary><c>drill --json</c>.</summary>
internal sealed record DrillOutput(
    bool Passed, string Database, bool Kept, string Evidence, string Sha256, IReadOnlyList<string> Files, IReadOnlyList<EvidenceWarning> Warnings, EvidenceReport Report);

/// <summary><c>init --json</c>.</summary>
internal sealed record InitOutput(string Repository, string Id, string Key);

/// <summary><c>unlock --json</c>.</summary>
internal sealed record UnlockOutput(int Removed, int Remaining);

/// <summary><c>key add|remove --json</c>.</summary>
internal sealed record KeyOutput(string Key);

/// <summary><c>hold --json</c>.</summary>
internal sealed record HoldOutput(string Snapshot, string Hold, DateTimeOffset? Until, string? Reason);

/// <summary><c>unhold --json</c>.</summary>
internal sealed record UnholdOutput(string Snapshot, IReadOnlyList<string> Released);

/// <summary>One entry of <c>holds --json</c>.</summary>
internal sealed record HoldListItem(string Id, string Snapshot, DateTimeOffset? Until, string Reason, string By, DateTimeOffset Time, string State, HoldRelease? Released);

internal sealed record HoldRelease(DateTimeOffset Time, string By, string Reason);

/// <summary><c>forget ID... --json</c>.</summary>
internal sealed record NamedForgetOutput(bool DryRun, int Removed, IReadOnlyList<NamedForgetItem> Snapshots, PruneReport? Prune);

internal sealed record NamedForgetItem(
    string Id, string ShortId, DateTimeOffset? Time, string? Host, string? Kind, string? Source, IReadOnlyList<string>? Tags, string? Damaged);

/// <summary><c>forget --keep-... --json</c>.</summary>
internal sealed record ForgetOutput(
    bool DryRun, string Policy, string TimeZone, int MinKeep, int Removed, int Kept, IReadOnlyList<ForgetGroupOutput> Groups, PruneReport? Prune);

internal sealed record ForgetGroupOutput(ForgetGroupKey Group, int Kept, int Removed, int Unselected, IReadOnlyList<ForgetDecisionOutput> Snapshots);

internal sealed record ForgetGroupKey(string? Host, string? Kind, string? Source, string? Tags);

internal sealed record ForgetDecisionOutput(string Id, string ShortId, DateTimeOffset Time, DateTimeOffset LocalTime, string Action, IReadOnlyList<string> Reasons);

/// <summary><c>copy --json</c>.</summary>
internal sealed record CopyOutput(
    string From, string To, int Copied, int Skipped, long BytesRead, long BytesReused, long NewBytes, long StoredBytes, double Seconds,
    IReadOnlyList<CopiedSnapshot> Snapshots, IReadOnlyList<DamagedSnapshot> Damaged, IReadOnlyList<DamagedSnapshot> TargetDamaged)
{
    public static CopyOutput Of(CopyResult r) => new(
        r.From, r.To, r.Copied, r.SkippedCount, r.BytesRead, r.BytesReused, r.NewBytes, r.StoredBytes, r.Seconds, r.Snapshots, r.Damaged, r.TargetDamaged);
}

/// <summary>One entry of <c>evidence list --json</c>.</summary>
internal sealed record EvidenceListItem(string Id, DateTimeOffset Created, string Kind, bool Passed, string? Snapshot, string? Source, string Sha256);

/// <summary><c>evidence export --json</c>.</summary>
internal sealed record FilesOutput(IReadOnlyList<string> Files);

/// <summary><c>audit --verify --json</c>.</summary>
internal sealed record AuditVerifyOutput(bool Ok, int Records, long Head, IReadOnlyList<AuditProblem> Problems, IReadOnlyList<string> Warnings);

/// <summary>One entry of <c>audit --json</c>.</summary>
internal sealed record AuditListItem(string Sha256, AuditRecord Record);

/// <summary><c>status --json</c>.</summary>
internal sealed record StatusOutput(string Status, int ExitCode, DateTimeOffset Now, IReadOnlyList<StatusItem> Items);

/// <summary><c>config check --json</c> of an invalid plan file: every error with its position.</summary>
internal sealed record ConfigErrorOutput(string Error, int ExitCode, IReadOnlyList<Agent.PlanFile.PlanFileError> Errors);

/// <summary>
/// <c>config check --json</c>: the plans with the next runs of each job, the repositories and the channels. Secrets appear
/// only as the <c>${NAME}</c> references the file holds, never resolved.
/// </summary>
internal sealed record ConfigCheckOutput(
    string File, bool Ok, IReadOnlyList<ConfigPlanOutput> Plans, IReadOnlyList<ConfigRepositoryOutput> Repositories, IReadOnlyList<ConfigChannelOutput> Channels)
{
    public static ConfigCheckOutput Of(Agent.PlanFile.PlanFile file, DateTimeOffset now, int runs) => new(
        file.Path,
        true,
        [.. file.Plans.Select(p => new ConfigPlanOutput(p.Name, p.Source, p.Repository, p.Copies, p.Notify, [.. p.Jobs().Select(j => ConfigJobOutput.Of(p.Name, j.Kind, j.Schedule, now, runs))]))],
        [.. file.Repositories.Select(r => new ConfigRepositoryOutput(r.Name, r.Url, r.PasswordFile, r.Password?.ToString(), r.QuotaBytes))],
        [.. file.Channels.Select(c => new ConfigChannelOutput(c.Name, c.Type, c.Events))]);
}

internal sealed record ConfigPlanOutput(string Name, string Source, string Repository, IReadOnlyList<string> Copies, IReadOnlyList<string> Notify, IReadOnlyList<ConfigJobOutput> Jobs);

/// <summary>One job of a plan: its schedule and its next starts (jitter included) in the plan's time zone and in UTC.</summary>
internal sealed record ConfigJobOutput(string Kind, string Schedule, string TimeZone, string Missed, string? MaxDelay, string Jitter, IReadOnlyList<ConfigRunOutput> Next)
{
    public static ConfigJobOutput Of(string plan, string kind, Agent.Scheduling.JobSchedule job, DateTimeOffset now, int runs) => new(
        kind,
        job.Schedule.Text,
        job.TimeZone.Id,
        Commands.ConfigCommand.Missed(job.Missed),
        job.MaxDelay is { } d ? Agent.PlanFile.Units.FormatDuration(d) : null,
        Agent.PlanFile.Units.FormatDuration(job.Jitter),
        [.. job.NextRuns(plan, now, runs).Select(r => new ConfigRunOutput(TimeZoneInfo.ConvertTime(r.Start, job.TimeZone), r.Start.ToUniversalTime(), r.Slot.ToUniversalTime()))]);
}

internal sealed record ConfigRunOutput(DateTimeOffset Local, DateTimeOffset Utc, DateTimeOffset Slot);

internal sealed record ConfigRepositoryOutput(string Name, string Url, string? PasswordFile, string? Password, long? Quota);

internal sealed record ConfigChannelOutput(string Name, string Type, IReadOnlyList<string> Events);

/// <summary><c>notify test --json</c>: the plan file, the host named in the message, the exit code and each channel's result.</summary>
internal sealed record NotifyTestOutput(string File, string Host, int ExitCode, IReadOnlyList<Agent.Notifications.ChannelTestResult> Channels);

/// <summary><c>subject export --json</c>: the file written, its format and size, and the subject found.</summary>
internal sealed record SubjectExportOutput(string Output, string Format, long BytesWritten, Lifeboat.Operations.Subjects.SubjectFound Subject);

/// <summary><c>backup --path --json</c>: the snapshot, its counts, and what could not be read or changed while read.</summary>
internal sealed record DirectoryBackupOutput(
    string Snapshot, DateTimeOffset Time, string Source, SnapshotSummary Summary, int Files, int Directories, int UnchangedFiles,
    IReadOnlyList<Repository.Directories.DirectoryProblem> Unreadable, IReadOnlyList<Repository.Directories.DirectoryProblem> Changed,
    IReadOnlyList<CopyOutcome>? Copies);

/// <summary><c>ls --json</c> of a directory snapshot.</summary>
internal sealed record DirectoryListOutput(string Id, DateTimeOffset Time, IReadOnlyList<DirectoryListItem> Entries);

/// <summary>One entry of a directory snapshot; <c>mode</c> in octal.</summary>
internal sealed record DirectoryListItem(
    string Path, string Type, string Mode, uint Uid, uint Gid, string? User, string? Group, DateTimeOffset Mtime, long Size, string? Target);
