namespace Lifeboat.Postgres;

/// <summary>How a <see cref="ChangeCapture"/> publishes, names its slot and decodes.</summary>
public sealed record ChangeCaptureOptions
{
    /// <summary>The logical replication slot created (lower-case letters, digits and underscores, at most 63).</summary>
    public string SlotName { get; init; } = "lifeboat";

    /// <summary>The publication created (or, when it exists, set to the captured tables); same rule as <see cref="SlotName"/>.</summary>
    public string PublicationName { get; init; } = "lifeboat";

    /// <summary>What to capture: the selection (schemas, tables) decides the published tables and the base backup, <c>Jobs</c> its workers.</summary>
    public CaptureOptions Capture { get; init; } = new();

    /// <summary>Memory for the changes of one transaction in progress; beyond it they go to a spill file.</summary>
    public long TransactionMemoryBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Where spill files go (deleted once their transaction was handed on or aborted).</summary>
    public string SpillDirectory { get; init; } = Path.GetTempPath();
}
