namespace Lifeboat.Repository.Check;

/// <summary>A damaged or missing object and the snapshots it makes unrestorable.</summary>
public sealed record CheckProblem(string Object, string Message, IReadOnlyList<string> AffectedSnapshots);

/// <summary>The outcome of <c>check</c>: problems (errors), harmless findings, and what was covered.</summary>
public sealed class CheckReport
{
    public List<CheckProblem> Problems { get; } = [];

    /// <summary>Harmless findings, e.g. unreferenced packs left by an interrupted backup.</summary>
    public List<string> Notes { get; } = [];

    public int Snapshots { get; set; }

    public int IndexFiles { get; set; }

    public int Packs { get; set; }

    public int PacksRead { get; set; }

    public long BytesRead { get; set; }

    public int BlobsReferenced { get; set; }

    public int UnreferencedPacks { get; set; }

    /// <summary>Objects under <c>audit/</c> whose chain was verified.</summary>
    public int AuditRecords { get; set; }

    /// <summary>Evidence reports verified (name, tag, body against its SHA-256, against the audit log).</summary>
    public int EvidenceReports { get; set; }

    public bool Ok => Problems.Count == 0;
}

/// <summary>How much data <c>check</c> reads.</summary>
public sealed record CheckOptions
{
    /// <summary>Percentage of packs to download and verify completely (0: structure only, 100: all).</summary>
    public double ReadDataPercent { get; init; }

    /// <summary>
    /// Instead of a random share, the packs of one fixed part of N: part K of N reads the packs whose id, as a number,
    /// leaves K - 1 divided by N, so reading parts 1 to N in turn reads every pack once (the agent's rotation).
    /// </summary>
    public (int Part, int Of)? Subset { get; init; }
}
