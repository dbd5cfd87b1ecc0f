using System.Security.Cryptography;
using Lifeboat.Operations.Audit;
using Lifeboat.Repository;
using Lifeboat.Repository.Buckets;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage.Buckets;

namespace Lifeboat.Operations.Buckets;

/// <summary>What <see cref="BucketRestore"/> restores: a bucket snapshot (or its objects under <see cref="Prefix"/>, or one <see cref="Key"/>) into a bucket.</summary>
public sealed record BucketRestoreRequest(string Snapshot, IObjectBucket Target)
{
    /// <summary>Only the objects whose keys start with this.</summary>
    public string? Prefix { get; init; }

    /// <summary>Only this object.</summary>
    public string? Key { get; init; }

    /// <summary>Replace objects of the target that differ from the snapshot's.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Objects written at once.</summary>
    public int WriteConcurrency { get; init; } = 8;
}

/// <summary>What a bucket restore did: objects written, objects the target held already (same bytes, type and metadata), bytes written.</summary>
public sealed record BucketRestoreResult(string SnapshotId, string Target, int Objects, int AlreadyThere, long Bytes);

/// <summary>Objects of the target differ from the snapshot's and overwriting was not asked for; nothing was written.</summary>
public sealed class BucketObjectsDifferException(IReadOnlyList<string> keys, string target)
    : Exception($"{keys.Count} object(s) of {target} exist and differ from the snapshot's: {string.Join(", ", keys.Take(10).Select(k => $"'{k}'"))}" +
        (keys.Count > 10 ? $" and {keys.Count - 10} more" : "") + "; restore into an empty bucket or prefix, or give --overwrite to replace them")
{
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>
/// Writes a bucket snapshot's objects (keys, bytes, content types, metadata) into a bucket. An object the target holds
/// with the same bytes (compared by SHA-256, not ETag: a multipart upload's ETag differs), content type and metadata is
/// left alone; one that differs is replaced only with <see cref="BucketRestoreRequest.Overwrite"/>, else the restore
/// refuses before writing anything. Without overwrite each PUT carries <c>If-None-Match: *</c>, so an object that
/// appears meanwhile is never replaced.
/// </summary>
public sealed class BucketRestore(IRepositoryOpener repository)
{
    /// <summary>Objects up to this size are held in memory while written; bigger ones go through a temporary file.</summary>
    private const long InMemoryLimit = 8L * 1024 * 1024;

    public async Task<BucketRestoreResult> RunAsync(BucketRestoreRequest request, CancellationToken cancellationToken)
    {
        var opened = await repository.OpenAsync(cancellationToken);
        return await OperationAudit.RunAsync(
            opened, "restore", ct => RestoreAsync(opened, request, ct),
            (done, _) => Task.FromResult(new AuditFacts { Source = done.Target, Snapshots = [done.SnapshotId], Bytes = done.Bytes }),
            cancellationToken, request.Target.Location);
    }

    private static async Task<BucketRestoreResult> RestoreAsync(BackupRepository repository, BucketRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "restore", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, request.Snapshot, cancellationToken);
        var manifest = BucketManifest.Of(record);
        var selected = manifest.Objects.Where(o => (request.Key is null || o.Key == request.Key) && (request.Prefix is null || o.Key.StartsWith(request.Prefix, StringComparison.Ordinal))).ToList();
        if (selected.Count == 0 && (request.Key is not null || request.Prefix is not null))
        {
            var what = request.Key is not null ? $"no object '{request.Key}'" : $"no object under prefix '{request.Prefix}'";
            throw new NotFoundException($"snapshot {record.ShortId} holds {what}: 'lifeboat ls {record.ShortId}' lists its keys");
        }

        var streams = record.Snapshot.Streams.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var objects = selected.Select(o => (Entry: o, Stream: streams.GetValueOrDefault(BucketManifest.StreamName(o.Key))
            ?? throw new IntegrityException($"snapshot {record.ShortId} lists the object '{o.Key}' but holds no stream of that name"))).ToList();
        var target = request.Target;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.WriteConcurrency), CancellationToken = cancellationToken };
        var same = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var differing = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(objects, parallel, async (o, ct) =>
        {
            switch (await CompareAsync(target, o.Entry, o.Stream, ct))
            {
                case true:
                    same[o.Entry.Key] = true;
                    break;
                case false:
                    differing.Add(o.Entry.Key);
                    break;
            }
        });
        if (!differing.IsEmpty && !request.Overwrite)
        {
            throw new BucketObjectsDifferException([.. differing.Order(StringComparer.Ordinal)], target.Location);
        }

        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var restorer = new StreamRestorer(new BlobReader(repository, index), 4);
        var toWrite = objects.Where(o => !same.ContainsKey(o.Entry.Key)).ToList();
        var raced = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(toWrite, parallel, async (o, ct) =>
        {
            await using var content = await SeekableAsync(restorer, o.Stream, ct);
            try
            {
                await target.PutAsync(new BucketPut(o.Entry.Key, o.Stream.Size, o.Entry.ContentType, o.Entry.Metadata, OnlyIfAbsent: !request.Overwrite), content, ct);
            }
            catch (BucketObjectExistsException)
            {
                raced.Add(o.Entry.Key);
            }
        });
        if (!raced.IsEmpty)
        {
            throw new BucketObjectsDifferException([.. raced.Order(StringComparer.Ordinal)], target.Location);
        }

        return new BucketRestoreResult(record.Id.ToString(), target.Location, toWrite.Count, same.Count, toWrite.Sum(o => o.Stream.Size));
    }

    /// <summary>
    /// The stream's bytes in a seekable stream (S3 clients sign and frame a non-seekable body differently, and some
    /// services store that framing): in memory up to <see cref="InMemoryLimit"/>, else in a temporary file deleted on close.
    /// </summary>
    private static async Task<Stream> SeekableAsync(StreamRestorer restorer, SnapshotStream stream, CancellationToken cancellationToken)
    {
        Stream buffer = stream.Size <= InMemoryLimit
            ? new MemoryStream((int)stream.Size)
            : new FileStream(Path.Combine(Path.GetTempPath(), $"lifeboat-bucket-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await restorer.WriteToAsync(stream, buffer, cancellationToken);
            buffer.Position = 0;
            return buffer;
        }
        catch
        {
            await buffer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Null when the target lacks the object; true when it holds the same bytes, content type and metadata; false when it differs.</summary>
    private static async Task<bool?> CompareAsync(IObjectBucket target, BucketObjectEntry entry, SnapshotStream stream, CancellationToken cancellationToken)
    {
        var head = await target.HeadAsync(entry.Key, cancellationToken);
        if (head is null)
        {
            return null;
        }

        if (head.Size != stream.Size || !SameDescription(head, entry))
        {
            return false;
        }

        await using var body = await target.GetAsync(entry.Key, null, cancellationToken);
        if (body is null)
        {
            return null;
        }

        var hash = await SHA256.HashDataAsync(body.Content, cancellationToken);
        return Convert.ToHexStringLower(hash) == stream.Sha256;
    }

    private static bool SameDescription(BucketObjectHead head, BucketObjectEntry entry) =>
        (entry.ContentType is null || head.ContentType == entry.ContentType) &&
        head.Metadata.Count == entry.Metadata.Count && entry.Metadata.All(m => head.Metadata.TryGetValue(m.Key, out var v) && v == m.Value);
}
