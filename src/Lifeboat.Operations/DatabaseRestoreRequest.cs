using Lifeboat.Postgres;

namespace Lifeboat.Operations;

/// <summary>What to restore from a database snapshot, and where.</summary>
public sealed record DatabaseRestoreRequest
{
    public required string Snapshot { get; init; }

    public required PgConnectionInfo Target { get; init; }

    /// <summary>The whole database (the default), one table, or the matching rows of one table.</summary>
    public RestoreMode Mode { get; init; } = new RestoreMode.WholeDatabase();

    /// <summary>
    /// Create the target database first (it must not exist). The restore loads under a staging name
    /// and renames it to the target once it succeeded (see <see cref="StagedDatabase"/>).
    /// </summary>
    public bool Create { get; init; }

    /// <summary>
    /// A failed restore keeps what it loaded, for inspection (the target then holds part of the
    /// snapshot and the failure says so), instead of dropping the database it created or emptying the target again.
    /// </summary>
    public bool KeepFailed { get; init; }

    /// <summary>
    /// Restore to a point in time: the base snapshot (one of <c>follow</c>), then its change log replayed up to
    /// this point, before the restore is committed (a whole restore only).
    /// </summary>
    public Changes.PointInTime? PointInTime { get; init; }
}

/// <summary>
/// What a restore restores: <see cref="WholeDatabase"/>, <see cref="OneTable"/> or
/// <see cref="MatchingRows"/>, and nothing else (the hierarchy is closed). Each mode carries only
/// the options that apply to it.
/// </summary>
public abstract record RestoreMode
{
    private RestoreMode()
    {
    }

    /// <summary>How the audit record names the mode: <c>database</c>, <c>table</c> or <c>rows</c>.</summary>
    internal abstract string AuditName { get; }

    /// <summary>The whole database: schema, every table's rows, sequences, large objects, post-data.</summary>
    public sealed record WholeDatabase : RestoreMode
    {
        /// <summary>Jobs, --clean, owners and privileges, --globals, ANALYZE, where pg_restore lives.</summary>
        public RestoreOptions Options { get; init; } = new();

        /// <summary>Afterwards, re-read every table and compare rows and SHA-256 with the manifest.</summary>
        public bool Verify { get; init; }

        internal override string AuditName => "database";
    }

    /// <summary>One table (side by side, swapped, or into its own name when it is missing).</summary>
    public sealed record OneTable(TableRestoreOptions Options) : RestoreMode
    {
        internal override string AuditName => "table";
    }

    /// <summary>The rows of one table that match a predicate, into the live table (with its conflict rule).</summary>
    public sealed record MatchingRows(RowRestoreOptions Options) : RestoreMode
    {
        internal override string AuditName => "rows";
    }
}

/// <summary>The outcome of a restore.</summary>
public sealed record DatabaseRestoreResult(
    string SnapshotId, string Target, int Tables, long Rows, long Bytes, double Seconds,
    TableRestoreResult? Table, RowRestoreResult? RowChanges, VerificationResult? Verification, GlobalsOutcome? Globals = null,
    RestoreAftermath? Aftermath = null)
{
    /// <summary>What a point-in-time restore replayed from the change log.</summary>
    public Changes.ChangeReplayResult? Replay { get; init; }
}

/// <summary>Where a restore is.</summary>
public enum RestorePhase
{
    /// <summary>Opening the repository, finding the snapshot, loading the index, reading the manifest.</summary>
    OpeningSnapshot,

    /// <summary>Handing the snapshot's streams to PostgreSQL.</summary>
    Restoring,

    /// <summary>Re-reading the restored tables to compare them with the manifest (<see cref="RestoreMode.WholeDatabase.Verify"/>).</summary>
    Verifying,
}

/// <summary>A restore's progress, reported as it goes.</summary>
/// <param name="Phase">Where the restore is.</param>
/// <param name="BytesRead">Bytes of the snapshot handed to PostgreSQL so far.</param>
/// <param name="BytesExpected">The snapshot's data bytes (null until the manifest is read).</param>
public sealed record RestoreProgress(RestorePhase Phase, long BytesRead, long? BytesExpected);
