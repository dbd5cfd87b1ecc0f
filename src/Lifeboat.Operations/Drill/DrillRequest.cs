using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;

namespace Lifeboat.Operations.Drill;

/// <summary>What to drill, where, and against which objectives.</summary>
public sealed record DrillRequest
{
    /// <summary>A snapshot id prefix, or <c>latest</c> (the latest database snapshot).</summary>
    public string Snapshot { get; init; } = "latest";

    /// <summary>With <c>latest</c>: the latest snapshot of this source (<see cref="DatabaseBackup.SourceName"/>); null: of any database.</summary>
    public string? Source { get; init; }

    /// <summary>The scratch server (its database is only used to reach the server; the drill creates its own).</summary>
    public required PgConnectionInfo Scratch { get; init; }

    /// <summary>Recovery time objective: the drill fails when start-to-verified takes longer.</summary>
    public TimeSpan? Rto { get; init; }

    /// <summary>Recovery point objective: the drill fails when the snapshot is older than this at the start.</summary>
    public TimeSpan? Rpo { get; init; }

    /// <summary>Required tables and custom assertions (checks 6 and 7).</summary>
    public DrillChecksFile? Checks { get; init; }

    /// <summary>Keep the scratch database afterwards (otherwise it is dropped, also on failure).</summary>
    public bool Keep { get; init; }

    /// <summary>Parallel connections for restore and hashing.</summary>
    public int Jobs { get; init; } = 4;

    /// <summary>pg_restore --no-owner (when the source's roles do not exist on the scratch server).</summary>
    public bool NoOwner { get; init; }

    /// <summary>pg_restore --no-privileges.</summary>
    public bool NoPrivileges { get; init; }

    /// <summary>Where pg_restore lives; null = search.</summary>
    public string? PgBinDirectory { get; init; }
}

/// <summary>The outcome of a drill: passed or not, the scratch database, and the saved evidence.</summary>
public sealed record DrillResult(bool Passed, string Database, bool Kept, SavedEvidence Evidence)
{
    /// <summary>The evidence report.</summary>
    public EvidenceReport Report => Evidence.Report;
}

/// <summary>A drill's progress, reported as it goes.</summary>
/// <param name="Step">What the drill is doing: <c>opening the snapshot</c>, <c>creating database NAME</c>, <c>restoring</c>, ...</param>
/// <param name="BytesRead">Bytes of the snapshot handed to PostgreSQL so far.</param>
/// <param name="BytesExpected">The snapshot's data bytes, from the restore on (null before it, and again from dropping the scratch database on).</param>
public sealed record DrillProgress(string Step, long BytesRead, long? BytesExpected);
