using Lifeboat.Repository;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>How far a dump is: bytes written of the stream's size.</summary>
public sealed record DumpProgress(long BytesWritten, long Size);

/// <summary>
/// Writes one stream of a snapshot, verified, to an output stream, fetching at least
/// <paramref name="readAhead"/> chunks ahead (more hides a remote store's latency).
/// </summary>
/// <param name="progress">Told of the bytes written, after each chunk.</param>
public sealed class StreamDump(BackupRepository repository, int readAhead = 0, IProgress<DumpProgress>? progress = null)
{
    /// <summary>Writes the stream <paramref name="streamName"/> of the snapshot to <paramref name="output"/>.</summary>
    public async Task RunAsync(string snapshotReference, string streamName, Stream output, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "dump", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, snapshotReference, cancellationToken);
        var stream = record.Snapshot.Streams.FirstOrDefault(s => s.Name == streamName)
            ?? throw new NotFoundException(
                $"snapshot {record.ShortId} has no stream '{streamName}'; it holds: {string.Join(", ", record.Snapshot.Streams.Select(s => s.Name).Take(20))}");
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        progress?.Report(new DumpProgress(0, stream.Size));
        var written = progress is null ? null : new Written(progress, stream.Size);
        var restorer = new StreamRestorer(new BlobReader(repository, index), Math.Max(readAhead, Math.Max(4, Environment.ProcessorCount * 2)), written);
        await restorer.WriteToAsync(stream, output, cancellationToken);
    }

    private sealed class Written(IProgress<DumpProgress> progress, long size) : IProgress<long>
    {
        public void Report(long value) => progress.Report(new DumpProgress(value, size));
    }
}
