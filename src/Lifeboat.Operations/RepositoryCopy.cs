using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>What <see cref="RepositoryCopy"/> copies, and how.</summary>
public sealed record CopyOptions
{
    /// <summary>Snapshot ids (or unique prefixes, or <c>latest</c>) to copy; empty copies every snapshot.</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    /// <summary>Streams of one snapshot copied at once.</summary>
    public int StreamConcurrency { get; init; } = 2;

    /// <summary>Chunks read ahead from the source per stream.</summary>
    public int ReadAhead { get; init; } = 8;

    /// <summary>How the target is written (upload concurrency = connections).</summary>
    public BackupWriterOptions Writer { get; init; } = new();
}

/// <summary>One snapshot of a copy: copied (with the new id) or skipped because the target has it.</summary>
/// <param name="Source">The snapshot's id in the source.</param>
/// <param name="Target">The copy's id in the target (for a skipped one: the copy that was there already).</param>
/// <param name="Skipped">True when the target held a copy already.</param>
/// <param name="BytesRead">Bytes read (downloaded, verified) from the source and re-chunked.</param>
/// <param name="BytesReused">Bytes of streams the target held already (not read from the source at all).</param>
/// <param name="NewBytes">Bytes the target lacked, before compression.</param>
/// <param name="StoredBytes">Bytes uploaded to the target for them (compressed, encrypted).</param>
public sealed record CopiedSnapshot(
    string Source, string Target, DateTimeOffset Time, bool Skipped, long BytesRead, long BytesReused, long NewBytes, long StoredBytes, double Seconds);

/// <summary>How far a copy is: into which repository, snapshots done of those to consider, bytes read from the source.</summary>
public sealed record CopyProgress(string Target, int SnapshotsDone, int SnapshotsTotal, long BytesRead);

/// <summary>The outcome of a copy.</summary>
/// <param name="Damaged">Snapshots of the source that cannot be read, so were not copied.</param>
/// <param name="TargetDamaged">
/// Snapshots of the target that cannot be read: which original each is a copy of is unknown, so a
/// source snapshot with no readable copy in the target was copied (again).
/// </param>
public sealed record CopyResult(
    string From, string To, IReadOnlyList<CopiedSnapshot> Snapshots, double Seconds,
    IReadOnlyList<DamagedSnapshot> Damaged, IReadOnlyList<DamagedSnapshot> TargetDamaged)
{
    public int Copied => Snapshots.Count(s => !s.Skipped);

    public int SkippedCount => Snapshots.Count(s => s.Skipped);

    public long BytesRead => Snapshots.Sum(s => s.BytesRead);

    public long BytesReused => Snapshots.Sum(s => s.BytesReused);

    public long NewBytes => Snapshots.Sum(s => s.NewBytes);

    public long StoredBytes => Snapshots.Sum(s => s.StoredBytes);
}

/// <summary>
/// Copies snapshots from one repository to another that has its own keys (so other blob ids and
/// chunk boundaries). Each stream is read from the source, every chunk authenticated and the
/// stream's SHA-256 checked, and written into the target through a <see cref="BackupWriter"/>:
/// re-chunked with the target's chunker and deduplicated against the target's content, so only
/// data the target lacks is uploaded. A stream the target holds already (same SHA-256 and size in
/// another of its snapshots, every chunk indexed) is not read from the source at all. The copy
/// records the original's id (<see cref="Snapshot.CopiedFrom"/>), so a rerun skips what was copied
/// (idempotent), and an interrupted copy resumes: finished snapshots are committed one by one,
/// and packs already uploaded are reused once indexed (every 256 packs). Shared locks on both sides.
/// A source snapshot that cannot be read is not copied and the others are; a target snapshot that
/// cannot be read hides which original it copies, so what has no readable copy is copied. Both are
/// named in the result (<see cref="CopyResult.Damaged"/>, <see cref="CopyResult.TargetDamaged"/>).
/// </summary>
/// <param name="progress">Told of the snapshots done and the bytes read, as the copy goes (on the thread that read).</param>
public sealed class RepositoryCopy(BackupRepository source, BackupRepository target, CopyOptions options, IProgress<CopyProgress>? progress = null)
{
    private readonly StoredStreams _targetStreams = new();
    private long _bytesDone;
    private int _snapshotsDone;
    private int _snapshotsTotal;

    /// <summary>Copies, and records a <c>copy</c> audit record in the target naming the new snapshots.</summary>
    public Task<CopyResult> RunAsync(CancellationToken cancellationToken) =>
        Audit.OperationAudit.RunAsync(
            target,
            "copy",
            RunCoreAsync,
            (result, _) => Task.FromResult(new Audit.AuditFacts
            {
                Source = source.Location,
                Snapshots = [.. result.Snapshots.Where(s => !s.Skipped).Select(s => s.Target)],
                Bytes = result.Snapshots.Sum(s => s.StoredBytes),
                Details = Details(result),
            }),
            cancellationToken,
            source.Location);

    /// <summary>The audit details: counts, and the damaged snapshots (source's and target's) when there are any.</summary>
    private static Dictionary<string, string> Details(CopyResult result)
    {
        var details = new Dictionary<string, string>
        {
            ["copied"] = result.Copied.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["skipped"] = result.SkippedCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (result.Damaged.Count > 0)
        {
            details["damaged"] = DamagedSnapshot.Names(result.Damaged);
        }

        if (result.TargetDamaged.Count > 0)
        {
            details["targetDamaged"] = DamagedSnapshot.Names(result.TargetDamaged);
        }

        return details;
    }

    private async Task<CopyResult> RunCoreAsync(CancellationToken cancellationToken)
    {
        if (source.Config.Id == target.Config.Id)
        {
            throw new InvalidRequestException(
                $"{source.Location} and {target.Location} are the same repository (id {source.Config.Id}): copy needs two different ones");
        }

        var started = target.Context.Time.GetTimestamp();
        await using var sourceLock = await Locks.AcquireAsync(source, exclusive: false, "copy", cancellationToken);
        await using var targetLock = await Locks.AcquireAsync(target, exclusive: false, "copy", cancellationToken);
        var (selected, damaged) = await SelectAsync(cancellationToken);
        _snapshotsTotal = selected.Count;
        Report(0);
        var (existing, targetDamaged) = await SnapshotStore.LoadReadableAsync(target, cancellationToken);
        var copies = new Dictionary<string, SnapshotRecord>(StringComparer.Ordinal);
        foreach (var record in existing)
        {
            copies.TryAdd(record.Snapshot.OriginOf(record.Id), record);
            _targetStreams.Add(record.Snapshot);
        }

        var results = new List<CopiedSnapshot>();
        MasterIndex? sourceIndex = null;
        MasterIndex? targetIndex = null;
        foreach (var record in selected)
        {
            var origin = record.Snapshot.OriginOf(record.Id);
            if (copies.TryGetValue(origin, out var copy))
            {
                results.Add(new CopiedSnapshot(record.Id.ToString(), copy.Id.ToString(), record.Snapshot.Time, true, 0, 0, 0, 0, 0));
            }
            else
            {
                sourceIndex ??= await MasterIndex.LoadAsync(source, cancellationToken);
                targetIndex ??= await MasterIndex.LoadAsync(target, cancellationToken);
                var (result, copied) = await CopyOneAsync(record, sourceIndex, targetIndex, targetLock, cancellationToken);
                results.Add(result);
                copies[origin] = copied;
                _targetStreams.Add(copied.Snapshot);
            }

            Interlocked.Increment(ref _snapshotsDone);
            Report(0);
        }

        return new CopyResult(
            source.Location, target.Location, results, target.Context.Time.GetElapsedTime(started).TotalSeconds,
            DamagedSnapshot.From(damaged), DamagedSnapshot.From(targetDamaged));
    }

    /// <summary>
    /// The readable snapshots to copy, oldest first, and those asked for that cannot be read. A name
    /// that matches no snapshot, or 'latest' while a snapshot is unreadable, fails before anything is copied.
    /// </summary>
    private async Task<(List<SnapshotRecord> Records, List<(BlobId Id, IntegrityException Error)> Damaged)> SelectAsync(CancellationToken cancellationToken)
    {
        if (options.Snapshots.Count == 0)
        {
            return await SnapshotStore.LoadReadableAsync(source, cancellationToken);
        }

        var ids = new List<BlobId>();
        foreach (var reference in options.Snapshots)
        {
            var id = await SnapshotStore.FindIdAsync(source, reference, cancellationToken);
            if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        var chosen = new List<SnapshotRecord>();
        var damaged = new List<(BlobId Id, IntegrityException Error)>();
        foreach (var id in ids)
        {
            try
            {
                chosen.Add(await SnapshotStore.LoadAsync(source, id, cancellationToken));
            }
            catch (IntegrityException e)
            {
                damaged.Add((id, e));
            }
        }

        return ([.. chosen.OrderBy(r => r.Snapshot.Time).ThenBy(r => r.Id)], damaged);
    }

    private async Task<(CopiedSnapshot Result, SnapshotRecord Copy)> CopyOneAsync(
        SnapshotRecord record, MasterIndex sourceIndex, MasterIndex targetIndex, RepositoryLock targetLock, CancellationToken cancellationToken)
    {
        var started = target.Context.Time.GetTimestamp();
        var writer = new BackupWriter(target, targetIndex, options.Writer with
        {
            Lock = targetLock,
            Progress = progress is null ? options.Writer.Progress : new WriterProgress(this, options.Writer.Progress),
        });
        var reader = new BlobReader(source, sourceIndex);
        var targetReader = new BlobReader(target, targetIndex);
        long reused = 0;
        var streams = record.Snapshot.Streams.OrderByDescending(s => s.Size).ToList();
        await Parallel.ForEachAsync(
            streams,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.StreamConcurrency), CancellationToken = cancellationToken },
            async (stream, ct) =>
            {
                if (await _targetStreams.FindAsync(stream, targetReader, ct) is { } present)
                {
                    writer.AddExistingStream(stream with { Trees = present.Trees });
                    Interlocked.Add(ref reused, stream.Size);
                    return;
                }

                await CopyStreamAsync(stream, reader, writer, ct);
            });
        var snapshot = record.Snapshot;
        var copy = await writer.CommitAsync(
            new SnapshotDescription(snapshot.Kind, snapshot.Source, snapshot.Tags, snapshot.Program)
            {
                Time = snapshot.Time,
                Host = snapshot.Host,
                User = snapshot.User,
                Manifest = snapshot.Manifest?.DeepClone().AsObject(),
                Summary = snapshot.Summary,
                CopiedFrom = snapshot.OriginOf(record.Id),
            },
            cancellationToken);
        var stats = writer.Stats;
        Interlocked.Add(ref _bytesDone, stats.BytesRead);
        var result = new CopiedSnapshot(
            record.Id.ToString(), copy.Id.ToString(), snapshot.Time, false, stats.BytesRead, reused, stats.NewBytes, stats.StoredBytes,
            target.Context.Time.GetElapsedTime(started).TotalSeconds);
        return (result, copy);
    }

    private async Task CopyStreamAsync(SnapshotStream stream, BlobReader reader, BackupWriter writer, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var restorer = new StreamRestorer(reader, Math.Max(1, options.ReadAhead));
        await using var input = restorer.OpenRead(stream, stop.Token);
        SnapshotStream written;
        try
        {
            written = await writer.AddStreamAsync(stream.Name, input, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
        }

        if (written.Size != stream.Size || written.Sha256 != stream.Sha256)
        {
            throw new IntegrityException(
                $"stream '{stream.Name}' was copied as {written.Size} bytes with SHA-256 {written.Sha256}, but the source recorded {stream.Size} bytes and {stream.Sha256}");
        }
    }

    /// <summary>Reports the counts, with <paramref name="current"/> bytes read of the snapshot being copied.</summary>
    private void Report(long current) =>
        progress?.Report(new CopyProgress(
            target.Location, Volatile.Read(ref _snapshotsDone), Volatile.Read(ref _snapshotsTotal), Interlocked.Read(ref _bytesDone) + current));

    /// <summary>The writer's counters of the snapshot being copied, passed on as <see cref="CopyProgress"/>.</summary>
    private sealed class WriterProgress(RepositoryCopy copy, IProgress<BackupStats>? next) : IProgress<BackupStats>
    {
        public void Report(BackupStats value)
        {
            next?.Report(value);
            copy.Report(value.BytesRead);
        }
    }
}
