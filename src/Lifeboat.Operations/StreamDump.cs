using Lifeboat.Repository;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>
/// Writes one stream of a snapshot, verified, to an output stream, fetching at least
/// <paramref name="readAhead"/> chunks ahead (more hides a remote store's latency).
/// </summary>
public sealed class StreamDump(BackupRepository repository, int readAhead = 0)
{
    public StreamRestorer? Restorer { get; private set; }

    public SnapshotStream? Stream { get; private set; }

    public async Task RunAsync(string snapshotReference, string streamName, Stream output, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "dump", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, snapshotReference, cancellationToken);
        Stream = record.Snapshot.Streams.FirstOrDefault(s => s.Name == streamName)
            ?? throw new NotFoundException(
                $"snapshot {record.ShortId} has no stream '{streamName}'; it holds: {string.Join(", ", record.Snapshot.Streams.Select(s => s.Name).Take(20))}");
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        Restorer = new StreamRestorer(new BlobReader(repository, index), Math.Max(readAhead, Math.Max(4, Environment.ProcessorCount * 2)));
        await Restorer.WriteToAsync(Stream, output, cancellationToken);
    }
}
