using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// What a run is asked for beyond the plan file: the tags and hold of an on-demand run (<c>lifeboat run PLAN --tag
/// pre-migration --hold-until DATE</c>), and <paramref name="Round"/>, how many runs of this kind of this plan ended
/// before (a check's <c>read_data_subset</c> rotation reads subset <c>Round % N + 1</c> of N).
/// </summary>
internal sealed record RunOptions(IReadOnlyList<string> ExtraTags, DateTimeOffset? HoldUntil, long Round)
{
    /// <summary>A scheduled run, the first of its kind.</summary>
    public static readonly RunOptions Scheduled = new([], null, 0);

    /// <summary>Why the hold of <see cref="HoldUntil"/> is placed (<c>lifeboat run --reason</c>); null: a default naming the plan.</summary>
    public string? HoldReason { get; init; }
}

/// <summary>A snapshot of a plan's source found in its repository: its id, time, how long it took, how much it read and added.</summary>
internal sealed record PastBackup(string ShortId, DateTimeOffset Time, double Seconds, long SizeBytes, long AddedBytes);

/// <summary>One copy a backup made to one of its plan's <c>copies</c> repositories.</summary>
/// <param name="Repository">The copy repository's name in the plan file.</param>
/// <param name="Error">Why the copy failed (never a secret); null when it succeeded.</param>
/// <param name="LagSeconds">How far the newest snapshot of the plan's source in the copy is behind the primary's, when known.</param>
internal sealed record CopyReport(string Repository, string? Error, double? LagSeconds)
{
    /// <summary>True when the copy was made.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// What a job did. <paramref name="Figures"/> use the journal's names (<c>size_bytes</c>, <c>added_bytes</c>,
/// <c>rto_seconds</c>, <c>rpo_seconds</c>, <c>stored_bytes</c> of the repository...; the duration is the caller's).
/// <paramref name="Failure"/> is set when the job ran to its end but its result is a failure that is not an exception
/// (a drill whose verdict failed, a check that found damage): the run is journaled as failed with its figures.
/// <paramref name="Summary"/> is one line for people (the snapshot id, the drill's verdict).
/// </summary>
internal sealed record JobReport(
    string Summary,
    IReadOnlyDictionary<string, double> Figures,
    IReadOnlyList<CopyReport> Copies,
    IReadOnlyList<string> Warnings,
    string? Failure = null);

/// <summary>
/// The bodies of a plan's jobs, calling the same use cases as the CLI: the backup (with its copies and then its
/// retention), the check, the drill and the prune. A body throws when the job could not run (the source is down, the
/// repository is damaged or unreachable: the exception's message says what failed, never a secret); cancellation
/// stops it cleanly (nothing half committed). A repository found locked by another process is waited for, said
/// through <c>status</c>, not failed on at once. <c>status</c> takes one line at a time of what the job is doing now.
/// </summary>
internal interface IPlanJobs
{
    /// <summary>
    /// The snapshots of <paramref name="plan"/>'s source in its repository, oldest first: what a journal lost can be
    /// rebuilt from (<see cref="Host.JournalRebuild"/>). Throws when the repository cannot be read.
    /// </summary>
    Task<IReadOnlyList<PastBackup>> HistoryAsync(PlanFile.PlanFile file, PlanSettings plan, CancellationToken cancellationToken);

    /// <summary>Runs the <paramref name="kind"/> job of <paramref name="plan"/> (one of <paramref name="file"/>'s plans).</summary>
    Task<JobReport> RunAsync(PlanFile.PlanFile file, PlanSettings plan, RunKind kind, RunOptions options, IProgress<string> status, CancellationToken cancellationToken);
}
