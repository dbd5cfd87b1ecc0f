using System.Collections.Concurrent;
using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Buckets;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;
using Lifeboat.Storage.Buckets;

namespace Lifeboat.Operations.Buckets;

/// <summary>What <see cref="BucketBackup"/> backs up: one bucket location (all objects under its prefix).</summary>
public sealed record BucketBackupRequest(IObjectBucket Bucket)
{
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The time to record instead of now.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Objects downloaded at once.</summary>
    public int DownloadConcurrency { get; init; } = 8;

    /// <summary>Further repositories the new snapshot is copied to (<see cref="SnapshotCopies"/>).</summary>
    public IReadOnlyList<IRepositoryOpener> AlsoTo { get; init; } = [];
}

/// <summary>How far a bucket backup is.</summary>
public sealed record BucketBackupProgress(long Objects, long ObjectsTotal, long UnchangedObjects, long BytesRead, long StoredBytes);

/// <summary>The outcome of a bucket backup.</summary>
public sealed record BucketBackupResult(SnapshotRecord Record, BucketManifest Manifest, SnapshotCopies Copies);

/// <summary>
/// Backs up a bucket as a snapshot of kind <c>bucket</c> (repository-format.md §8.2): every object a stream named by
/// its key, content-addressed and deduplicated like any stream. An object with the key, size and ETag it had in the
/// latest snapshot of the same location is taken from it without download. Each download is a GET with
/// <c>If-Match</c> on the listed ETag: an object changed meanwhile is downloaded again in its new version (never
/// stored half-old), one that vanished is recorded as vanished.
/// </summary>
public sealed class BucketBackup(IRepositoryOpener repository, BackupWriterOptions options)
{
    private const int Attempts = 5;

    public async Task<BucketBackupResult> RunAsync(BucketBackupRequest request, IProgress<BucketBackupProgress>? progress, CancellationToken cancellationToken)
    {
        var opened = await repository.OpenAsync(cancellationToken);
        var targets = await SnapshotCopies.OpenAsync(request.AlsoTo, cancellationToken);
        var started = opened.Context.Time.GetUtcNow();
        var (record, manifest) = await OperationAudit.RunAsync(
            opened, "backup", ct => BackupAsync(opened, request, progress, ct),
            (done, ct) => OperationEvidence.ForBackupAsync(opened, done.Record, null, Warnings(done.Manifest), started, ct), cancellationToken, request.Bucket.Location);
        return new BucketBackupResult(record, manifest, new SnapshotCopies(opened, record, targets));
    }

    private async Task<(SnapshotRecord Record, BucketManifest Manifest)> BackupAsync(
        BackupRepository repository, BucketBackupRequest request, IProgress<BucketBackupProgress>? progress, CancellationToken cancellationToken)
    {
        var bucket = request.Bucket;
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
        var listed = new List<BucketObject>();
        await foreach (var item in bucket.ListAsync("", cancellationToken))
        {
            listed.Add(item);
        }

        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var parent = await ParentObjectsAsync(repository, index, bucket.Location, cancellationToken);
        var run = new Run(progress, listed.Count);
        var writer = new BackupWriter(repository, index, options with { Lock = held, Progress = run, ChunkConcurrency = Math.Min(options.ChunkConcurrency, 2) });
        run.Stats = writer.Stats;
        var toDownload = new List<BucketObject>();
        foreach (var item in listed)
        {
            if (parent.TryGetValue(item.Key, out var previous) && previous.Entry.Size == item.Size && previous.Entry.ETag == item.ETag && item.ETag.Length > 0)
            {
                writer.AddExistingStream(previous.Stream);
                run.Store(previous.Entry, unchanged: true);
            }
            else
            {
                toDownload.Add(item);
            }
        }

        await Parallel.ForEachAsync(toDownload, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.DownloadConcurrency), CancellationToken = cancellationToken },
            async (item, ct) => await DownloadAsync(bucket, writer, item, run, ct));
        var manifest = new BucketManifest
        {
            Location = bucket.Location,
            Objects = [.. run.Stored.Values.OrderBy(o => o.Key, StringComparer.Ordinal)],
            UnchangedObjects = (int)run.Unchanged,
            DownloadedObjects = (int)run.Downloaded,
            ChangedWhileRead = run.ChangedWhileRead,
            Vanished = [.. run.Vanished.OrderBy(k => k, StringComparer.Ordinal)],
        };
        var record = await writer.CommitAsync(
            new SnapshotDescription(BucketManifest.Kind, bucket.Location, request.Tags, ProgramInfo.Name) { Time = request.Time, Manifest = manifest.ToJson() },
            cancellationToken);
        return (record, manifest);
    }

    /// <summary>Downloads one object in the version listed, or (changed meanwhile) in its newest; records it vanished when it is gone.</summary>
    private static async Task DownloadAsync(IObjectBucket bucket, BackupWriter writer, BucketObject item, Run run, CancellationToken cancellationToken)
    {
        var etag = item.ETag;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var body = await bucket.GetAsync(item.Key, etag.Length > 0 ? etag : null, cancellationToken);
                if (body is null)
                {
                    run.Vanished.Add(item.Key);
                    return;
                }

                var stored = await writer.AddStreamAsync(BucketManifest.StreamName(item.Key), body.Content, cancellationToken);
                if (stored.Size != body.Head.Size)
                {
                    throw new IOException($"object '{item.Key}': {stored.Size} bytes came of {body.Head.Size}");
                }

                run.Store(new BucketObjectEntry
                {
                    Key = item.Key,
                    Size = stored.Size,
                    ETag = body.Head.ETag.Length > 0 ? body.Head.ETag : etag,
                    ContentType = body.Head.ContentType,
                    Metadata = body.Head.Metadata,
                    LastModified = item.LastModified,
                }, unchanged: false);
                return;
            }
            catch (BucketObjectChangedException) when (attempt < Attempts)
            {
                // changed since listed: take the version there is now
                run.Changed();
                var head = await bucket.HeadAsync(item.Key, cancellationToken);
                if (head is null)
                {
                    run.Vanished.Add(item.Key);
                    return;
                }

                etag = head.ETag;
            }
            catch (Exception e) when (attempt < Attempts && !cancellationToken.IsCancellationRequested &&
                (e is IOException or HttpRequestException || e is StorageException { Kind: StorageErrorKind.Transient }))
            {
                // a body cut off: the stream was not added; read it again
            }
        }
    }

    /// <summary>The objects of the newest readable bucket snapshot of the location whose tree blobs are all indexed, by key.</summary>
    private static async Task<Dictionary<string, (BucketObjectEntry Entry, SnapshotStream Stream)>> ParentObjectsAsync(
        BackupRepository repository, MasterIndex index, string location, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, (BucketObjectEntry, SnapshotStream)>(StringComparer.Ordinal);
        var (records, _) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        foreach (var record in records.Where(r => r.Snapshot.Kind == BucketManifest.Kind && r.Snapshot.Source == location).OrderByDescending(r => r.Snapshot.Time))
        {
            BucketManifest manifest;
            try
            {
                manifest = BucketManifest.Of(record);
            }
            catch (IntegrityException)
            {
                continue;
            }

            var streams = record.Snapshot.Streams.ToDictionary(s => s.Name, StringComparer.Ordinal);
            foreach (var entry in manifest.Objects)
            {
                if (streams.TryGetValue(BucketManifest.StreamName(entry.Key), out var stream) && stream.Size == entry.Size &&
                    stream.Trees.All(t => BlobId.TryParse(t, out var id) && index.Contains(id)))
                {
                    result[entry.Key] = (entry, stream);
                }
            }

            break;
        }

        return result;
    }

    /// <summary>The evidence report's warnings: each object that vanished between listing and download (check <c>vanished</c>).</summary>
    private static List<EvidenceWarning> Warnings(BucketManifest manifest) =>
        [.. manifest.Vanished.Select(k => new EvidenceWarning("vanished", k, $"object '{k}' was listed but gone when downloaded; it is not in the snapshot"))];

    private sealed class Run(IProgress<BucketBackupProgress>? progress, long total) : IProgress<BackupStats>
    {
        private long _objects;
        private long _unchanged;
        private long _downloaded;
        private int _changed;

        public BackupStats? Stats { get; set; }

        public ConcurrentDictionary<string, BucketObjectEntry> Stored { get; } = new(StringComparer.Ordinal);

        public ConcurrentBag<string> Vanished { get; } = [];

        public long Unchanged => Interlocked.Read(ref _unchanged);

        public long Downloaded => Interlocked.Read(ref _downloaded);

        public int ChangedWhileRead => Volatile.Read(ref _changed);

        public void Changed() => Interlocked.Increment(ref _changed);

        public void Store(BucketObjectEntry entry, bool unchanged)
        {
            Stored[entry.Key] = entry;
            Interlocked.Increment(ref _objects);
            Interlocked.Increment(ref unchanged ? ref _unchanged : ref _downloaded);
            Report();
        }

        public void Report(BackupStats value) => Report();

        private void Report() => progress?.Report(new BucketBackupProgress(
            Interlocked.Read(ref _objects), total, Interlocked.Read(ref _unchanged), Stats?.BytesRead ?? 0, Stats?.StoredBytes ?? 0));
    }
}
