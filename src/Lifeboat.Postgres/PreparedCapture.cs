using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// A capture whose snapshot is exported and whose catalog is read (see
/// <see cref="PostgresCapture.PrepareAsync"/>). Holds the coordinator connection, whose open
/// transaction keeps the snapshot alive; disposing it ends that transaction.
/// </summary>
public sealed class PreparedCapture : IAsyncDisposable
{
    internal PreparedCapture(NpgsqlConnection coordinator) => Coordinator = coordinator;

    internal NpgsqlConnection Coordinator { get; }

    internal PgConnectionInfo Source { get; init; } = default!;

    internal CaptureOptions Options { get; init; } = default!;

    internal TableSelection Selection { get; init; } = default!;

    internal DateTimeOffset StartedAt { get; init; } = default!;

    internal long Started { get; init; } = default!;

    internal int ServerVersionNum { get; init; } = default!;

    internal string ServerVersion { get; init; } = default!;

    internal string Encoding { get; init; } = default!;

    internal PgToolset Tools { get; init; } = default!;

    internal string SnapshotId { get; init; } = default!;

    internal DateTime SnapshotTime { get; init; } = default!;

    internal string? Lsn { get; init; } = default!;

    internal string? SystemId { get; init; } = default!;

    internal List<CatalogTable> Tables { get; init; } = default!;

    internal List<CatalogSequence> Sequences { get; init; } = default!;

    internal bool IncludeLargeObjects { get; init; } = default!;

    internal IReadOnlyList<uint> LargeObjects { get; init; } = default!;

    internal List<CatalogTable> DataTables { get; init; } = default!;

    /// <summary>
    /// Disposes a preparation that will not be used (e.g. the repository could not be opened):
    /// waits for it and ends its transaction; its own failure, if any, no longer matters.
    /// </summary>
    public static async Task DiscardAsync(Task<PreparedCapture> preparing)
    {
        try
        {
            await (await preparing).DisposeAsync();
        }
        catch (Exception)
        {
            // the operation failed for another reason first; that one is reported
        }
    }

    /// <summary>Ends the snapshot's transaction and closes the coordinator connection.</summary>
    public ValueTask DisposeAsync() => Coordinator.DisposeAsync();
}
