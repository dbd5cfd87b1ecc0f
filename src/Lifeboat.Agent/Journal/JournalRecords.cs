using Lifeboat.Agent.Alerts;

namespace Lifeboat.Agent.Journal;

/// <summary>What kind of job a run was.</summary>
internal enum RunKind
{
    Backup,
    Copy,
    Check,
    Drill,
    Prune,
}

/// <summary>How a run ended, or that it has not.</summary>
internal enum RunResult
{
    /// <summary>Started and not finished (or the agent stopped during it: see <see cref="RunJournal.InterruptedMessage"/>).</summary>
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// One run in the journal.
/// </summary>
/// <param name="Id">The journal's id of the run.</param>
/// <param name="Plan">The plan's name.</param>
/// <param name="Kind">Backup, copy, check, drill or prune.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended; null while running.</param>
/// <param name="Result">How it ended.</param>
/// <param name="Figures">Its figures by name (<c>size_bytes</c>, <c>added_bytes</c>, <c>duration_seconds</c>, <c>rto_seconds</c>...).</param>
/// <param name="Error">Why it failed; null otherwise. Never a secret.</param>
/// <param name="Origin">Null for a run this agent (or <c>lifeboat run</c>) made; for a run rebuilt from the repository after
/// the journal was lost, what it was rebuilt from (<c>snapshot 1234abcd in repository main</c>).</param>
internal sealed record RunRecord(
    long Id,
    string Plan,
    RunKind Kind,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    RunResult Result,
    IReadOnlyDictionary<string, double> Figures,
    string? Error,
    string? Origin = null);

/// <summary>
/// One delivery of a notification through a channel: after all its attempts, whether it got through.
/// </summary>
/// <param name="Channel">The channel's name in the plan file.</param>
/// <param name="Kind">What the notification said happened.</param>
/// <param name="DedupKey">The notification's dedup key (<see cref="Notification.DedupKey"/>).</param>
/// <param name="At">When the delivery ended.</param>
/// <param name="Attempts">How many attempts it took (or were made before giving up).</param>
/// <param name="Succeeded">Whether the channel accepted it.</param>
/// <param name="Error">Why it failed, redacted (no URL of a secret channel, no password); null when it succeeded.</param>
internal sealed record DeliveryRecord(
    string Channel,
    NotificationKind Kind,
    string DedupKey,
    DateTimeOffset At,
    int Attempts,
    bool Succeeded,
    string? Error);

/// <summary>The journal file cannot be used (written by a newer Lifeboat, not a journal, damaged).</summary>
internal sealed class JournalException : Exception
{
    public JournalException(string message)
        : base(message)
    {
    }

    public JournalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public JournalException()
    {
    }
}
