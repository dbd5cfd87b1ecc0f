namespace Lifeboat.Postgres;

/// <summary>
/// A committed transaction as decoded from the slot: where and when it committed, and its changes,
/// read with <see cref="ReadChangesAsync"/> (from memory or from the spill file of a large one).
/// Disposing it deletes the spill file; read it before asking the stream for the next one.
/// </summary>
public sealed class CapturedTransaction : IDisposable
{
    private readonly ChangeBuffer _changes;

    internal CapturedTransaction(uint xid, ulong commitLsn, ulong endLsn, DateTimeOffset commitTime, bool streamed, ChangeBuffer changes)
    {
        Xid = xid;
        CommitLsn = commitLsn;
        EndLsn = endLsn;
        CommitTime = commitTime;
        Streamed = streamed;
        _changes = changes;
    }

    /// <summary>The transaction id on the source.</summary>
    public uint Xid { get; }

    /// <summary>The LSN of its commit record.</summary>
    public ulong CommitLsn { get; }

    /// <summary>The LSN just past its commit record: what the slot may be acknowledged up to once it is durable.</summary>
    public ulong EndLsn { get; }

    /// <summary>When it committed, by the source's clock.</summary>
    public DateTimeOffset CommitTime { get; }

    /// <summary>Whether the server streamed it while in progress (protocol v2: it outgrew logical_decoding_work_mem).</summary>
    public bool Streamed { get; }

    /// <summary>Whether its changes outgrew the memory limit and were (partly) kept on disk.</summary>
    public bool Spilled => _changes.Spilled;

    /// <summary>How many changes it made.</summary>
    public long ChangeCount => _changes.Count;

    /// <summary>Every table its changes name, as the stream described it before the change.</summary>
    public IReadOnlyDictionary<uint, RelationInfo> Relations => _changes.Relations;

    /// <summary>Its changes, in commit order within the transaction.</summary>
    public IAsyncEnumerable<CapturedChange> ReadChangesAsync(CancellationToken cancellationToken) => _changes.ReadAsync(cancellationToken);

    /// <summary>Deletes the spill file, if any.</summary>
    public void Dispose() => _changes.Dispose();
}
