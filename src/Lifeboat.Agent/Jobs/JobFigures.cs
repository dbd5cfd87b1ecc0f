namespace Lifeboat.Agent.Jobs;

/// <summary>The names of the figures the job bodies report, beyond those of <see cref="Alerts.Figures"/> (size, added, duration).</summary>
internal static class JobFigures
{
    /// <summary>The bytes the repository's packs take, as its index tells (after a backup or a prune).</summary>
    public const string StoredBytes = "stored_bytes";

    /// <summary>The snapshots the plan's retention removed after a backup.</summary>
    public const string ForgottenSnapshots = "forgotten_snapshots";

    /// <summary>A check's packs downloaded and verified.</summary>
    public const string PacksRead = "packs_read";

    /// <summary>A check's bytes downloaded.</summary>
    public const string BytesRead = "bytes_read";

    /// <summary>A check's problems found.</summary>
    public const string Problems = "problems";

    /// <summary>A drill's start to verified database (or to its end when the restore failed), in seconds.</summary>
    public const string RtoSeconds = "rto_seconds";

    /// <summary>The age of the drilled snapshot when the drill started, in seconds.</summary>
    public const string RpoSeconds = "rpo_seconds";

    /// <summary>The bytes a prune freed.</summary>
    public const string RemovedBytes = "removed_bytes";
}
