namespace Lifeboat.Repository.Audit;

/// <summary>
/// One entry of the audit log (<c>audit/&lt;sequence&gt;</c>): what ran, how it ended, when, who,
/// and what it touched. <see cref="Sequence"/> and <see cref="Previous"/> chain the entries; they
/// are set by <see cref="AuditLog.AppendAsync"/>, as are <see cref="User"/> and <see cref="Host"/>
/// when left empty. Never holds a secret.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>Version of this record's shape.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Position in the log, from 1, without gaps.</summary>
    public long Sequence { get; init; }

    /// <summary>SHA-256 (hex) of the stored bytes of record <c>Sequence - 1</c>; null for the first record.</summary>
    public string? Previous { get; init; }

    /// <summary>What ran: <c>init</c>, <c>key add</c>, <c>backup</c>, <c>restore</c>, <c>check</c>, <c>drill</c>, <c>forget</c>, <c>prune</c>, <c>copy</c>, ...</summary>
    public required string Operation { get; init; }

    /// <summary>One of <see cref="AuditStatus"/>.</summary>
    public required string Status { get; init; }

    /// <summary>When the operation started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When it ended (successfully or not).</summary>
    public required DateTimeOffset Finished { get; init; }

    /// <summary>The operating-system user who ran it.</summary>
    public string User { get; init; } = "";

    /// <summary>The machine it ran on.</summary>
    public string Host { get; init; } = "";

    /// <summary>The data source involved, as shown in snapshots (e.g. <c>host:5432/app</c>), never a password.</summary>
    public string? Source { get; init; }

    /// <summary>Ids of the snapshots made, read or removed.</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <summary>Bytes read, written or restored, when it applies.</summary>
    public long? Bytes { get; init; }

    /// <summary>A SHA-256 (hex) pinning what the operation produced, e.g. the evidence report body.</summary>
    public string? Checksum { get; init; }

    /// <summary>Id of the evidence report the operation wrote (<c>evidence/&lt;id&gt;</c>).</summary>
    public string? Evidence { get; init; }

    /// <summary>Why it failed (no secrets).</summary>
    public string? Error { get; init; }

    /// <summary>Further facts, e.g. <c>readData=10%</c>, <c>rtoSeconds=12.5</c>.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>The program that wrote the record, e.g. <c>lifeboat 0.1.0</c>.</summary>
    public string? Program { get; init; }
}

/// <summary>The values of <see cref="AuditRecord.Status"/>.</summary>
public static class AuditStatus
{
    /// <summary>Completed successfully (for drills and checks: everything passed).</summary>
    public const string Ok = "ok";

    /// <summary>Failed, or (drill, check) completed and found a problem.</summary>
    public const string Failed = "failed";

    /// <summary>Cancelled (Ctrl-C, SIGTERM) before it completed.</summary>
    public const string Interrupted = "interrupted";
}

/// <summary>A stored audit record with its object name and the SHA-256 of its stored bytes.</summary>
public sealed record AuditEntry(long Sequence, string Name, string Sha256, AuditRecord Record);

/// <summary>A problem <see cref="AuditLog.VerifyAsync(BackupRepository, CancellationToken)"/> found: which record, what is wrong.</summary>
public sealed record AuditProblem(long? Sequence, string Object, string Message);

/// <summary>The outcome of <see cref="AuditLog.VerifyAsync(BackupRepository, CancellationToken)"/>.</summary>
public sealed record AuditVerification(
    int Records, long Head, IReadOnlyList<AuditProblem> Problems, IReadOnlyList<string> Warnings, IReadOnlyList<AuditEntry> Entries)
{
    /// <summary>True when the chain is unbroken.</summary>
    public bool Ok => Problems.Count == 0;
}
