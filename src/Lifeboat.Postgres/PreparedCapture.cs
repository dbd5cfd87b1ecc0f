using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>What the server says about itself (read first, on the coordinator connection).</summary>
internal sealed record ServerFacts(int VersionNum, string Version, string Encoding);

/// <summary>The exported snapshot and where in the WAL it stands (<see langword="null"/> where the role may not read it).</summary>
internal sealed record SnapshotFacts(string Id, DateTime Time, string? Lsn, string? SystemId);

/// <summary>A snapshot exported outside the capture (by a replication slot) and the LSN it stands at.</summary>
internal sealed record ImportedSnapshot(string Name, string Lsn);

/// <summary>What the catalog, read in the snapshot and filtered by the selection, says to copy.</summary>
internal sealed record CaptureCatalog(
    List<CatalogTable> Tables, List<CatalogSequence> Sequences, bool IncludeLargeObjects, IReadOnlyList<uint> LargeObjects, List<CatalogTable> DataTables);

/// <summary>
/// A capture whose snapshot is exported and whose catalog is read (see
/// <see cref="PostgresCapture.PrepareAsync(PgConnectionInfo, CaptureOptions, CancellationToken)"/>). Holds the coordinator connection, whose open
/// transaction keeps the snapshot alive; disposing it ends that transaction.
/// </summary>
public sealed class PreparedCapture : IAsyncDisposable
{
    /// <summary>Every part is required: a preparation is built only once each phase has finished.</summary>
    internal PreparedCapture(
        NpgsqlConnection coordinator, PgConnectionInfo source, CaptureOptions options, TableSelection selection,
        DateTimeOffset startedAt, long started, ServerFacts server, PgToolset tools, SnapshotFacts snapshot, CaptureCatalog catalog)
    {
        Coordinator = coordinator;
        Source = source;
        Options = options;
        Selection = selection;
        StartedAt = startedAt;
        Started = started;
        Server = server;
        Tools = tools;
        Snapshot = snapshot;
        Catalog = catalog;
    }

    internal NpgsqlConnection Coordinator { get; }

    internal PgConnectionInfo Source { get; }

    internal CaptureOptions Options { get; }

    internal TableSelection Selection { get; }

    internal DateTimeOffset StartedAt { get; }

    internal long Started { get; }

    internal ServerFacts Server { get; }

    internal PgToolset Tools { get; }

    internal SnapshotFacts Snapshot { get; }

    internal CaptureCatalog Catalog { get; }

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
