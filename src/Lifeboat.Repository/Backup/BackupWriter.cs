using System.Security.Cryptography;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Backup;

/// <summary>Tuning of a backup's parallelism.</summary>
public sealed record BackupWriterOptions
{
    /// <summary>Chunks of one stream processed (hashed, compressed, sealed) at once.</summary>
    public int ChunkConcurrency { get; init; } = Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>Packs uploaded at once (also bounds memory: ~16 MiB each).</summary>
    public int UploadConcurrency { get; init; } = 2;

    /// <summary>The lock the backup holds; checked right before the snapshot is written (see <see cref="RepositoryLock.ThrowIfLost"/>).</summary>
    public RepositoryLock? Lock { get; init; }

    /// <summary>Told after each chunk of a stream is stored (on the stream's reading thread): the backup's counters so far.</summary>
    public IProgress<BackupStats>? Progress { get; init; }
}

/// <summary>
/// Writes one snapshot: streams are added (concurrently, if wished), chunked, deduplicated,
/// compressed, sealed, packed and uploaded as they are read; <see cref="CommitAsync"/> then
/// writes the index and, last, the snapshot. Nothing is visible until the snapshot exists; an
/// interruption leaves only unreferenced data, which prune removes.
/// </summary>
public sealed class BackupWriter
{
    private readonly BackupRepository _repository;
    private readonly MasterIndex _index;
    private readonly BlobSaver _saver;
    private readonly BackupWriterOptions _options;
    private readonly List<SnapshotStream> _streams = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started;

    public BackupWriter(BackupRepository repository, MasterIndex index, BackupWriterOptions options)
    {
        _repository = repository;
        _index = index;
        _options = options;
        _saver = new BlobSaver(repository, index, Stats, options.UploadConcurrency);
        _started = repository.Context.Time.GetUtcNow();
    }

    public BackupStats Stats { get; } = new();

    /// <summary>Reads <paramref name="source"/> to its end and stores it as stream <paramref name="name"/>.</summary>
    public async Task<SnapshotStream> AddStreamAsync(string name, Stream source, CancellationToken cancellationToken)
    {
        lock (_streams)
        {
            // claimed now, so that two concurrent streams of one name fail before either is read
            if (!_names.Add(name))
            {
                throw new InvalidRequestException($"the snapshot has a stream named '{name}' already");
            }
        }

        try
        {
            var stream = await StoreAsync(name, source, cancellationToken);
            lock (_streams)
            {
                _streams.Add(stream);
            }

            return stream;
        }
        catch
        {
            lock (_streams)
            {
                _names.Remove(name);
            }

            throw;
        }
    }

    private async Task<SnapshotStream> StoreAsync(string name, Stream source, CancellationToken cancellationToken)
    {
        using var reader = new ChunkReader(source, _repository.Chunker);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunks = new List<ChunkRef>();
        var window = new Queue<Task<ChunkRef>>();
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } chunk)
            {
                hash.AppendData(chunk.Span);
                Stats.AddRead(chunk.Length);
                window.Enqueue(Task.Run(() => SaveChunkAsync(chunk, cancellationToken), cancellationToken));
                while (window.Count >= _options.ChunkConcurrency || (window.Count > 0 && window.Peek().IsCompleted))
                {
                    chunks.Add(await window.Dequeue());
                    _options.Progress?.Report(Stats);
                }
            }

            while (window.Count > 0)
            {
                chunks.Add(await window.Dequeue());
            }
        }
        catch
        {
            // Let in-flight work finish so pooled buffers are returned, then rethrow.
            await Task.WhenAll(window).ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }

        var trees = new List<string>();
        for (var i = 0; i < chunks.Count || (i == 0 && chunks.Count == 0); i += TreeBlob.MaxEntries)
        {
            var part = chunks.GetRange(i, Math.Min(TreeBlob.MaxEntries, chunks.Count - i));
            var tree = TreeBlob.Encode(part);
            var treeId = _repository.Key.ComputeId(tree);
            await _saver.SaveAsync(BlobType.Tree, treeId, tree, cancellationToken);
            trees.Add(treeId.ToString());
        }

        return new SnapshotStream(name, reader.BytesRead, Convert.ToHexStringLower(hash.GetHashAndReset()), trees);
    }

    /// <summary>
    /// Adds a stream whose tree blobs (and every chunk they list) the repository holds already,
    /// e.g. an unchanged stream that <c>copy</c> finds in the target. The caller has checked that.
    /// </summary>
    public void AddExistingStream(SnapshotStream stream)
    {
        lock (_streams)
        {
            if (!_names.Add(stream.Name))
            {
                throw new InvalidRequestException($"the snapshot has a stream named '{stream.Name}' already");
            }

            _streams.Add(stream);
        }
    }

    /// <summary>
    /// Uploads what is pending, writes the index, then the snapshot: the commit point. Afterwards
    /// the packs this writer uploaded are added to the index it was given, so that a next writer
    /// over the same index deduplicates against them.
    /// </summary>
    public async Task<SnapshotRecord> CommitAsync(SnapshotDescription description, CancellationToken cancellationToken)
    {
        var streams = await FlushAsync(cancellationToken);
        var now = _repository.Context.Time.GetUtcNow();

        var snapshot = new Snapshot
        {
            Time = description.Time ?? _started,
            Host = description.Host ?? _repository.Context.Identity.Host,
            User = description.User ?? _repository.Context.Identity.User,
            Kind = description.Kind,
            Source = description.Source,
            Tags = description.Tags,
            Streams = streams,
            Manifest = description.Manifest,
            Program = description.Program,
            CopiedFrom = description.CopiedFrom,
            Summary = description.Summary ?? new SnapshotSummary(
                Stats.BytesRead, Stats.NewBytes, Stats.StoredBytes, (int)Stats.NewBlobs, (int)Stats.DuplicateBlobs, (int)Stats.NewPacks, (now - _started).TotalSeconds),
        };
        _options.Lock?.ThrowIfLost();
        var id = await SnapshotStore.SaveAsync(_repository, snapshot, cancellationToken);
        PublishPacks();
        return new SnapshotRecord(id, snapshot);
    }

    /// <summary>
    /// Uploads what is pending and writes the index (steps 1 and 2 of §9), without a snapshot: for an
    /// object that commits the streams itself (a change segment). Returns the streams by name;
    /// <see cref="PublishPacks"/> follows once that object is written.
    /// </summary>
    internal async Task<List<SnapshotStream>> FlushAsync(CancellationToken cancellationToken)
    {
        await _saver.FlushAsync(cancellationToken);
        lock (_streams)
        {
            return [.. _streams.OrderBy(s => s.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>Adds the packs this writer uploaded to the index it was given, so a next writer deduplicates against them.</summary>
    internal void PublishPacks()
    {
        foreach (var pack in _saver.UploadedPacks)
        {
            _index.Add(pack);
        }
    }

    private async Task<ChunkRef> SaveChunkAsync(RentedChunk chunk, CancellationToken cancellationToken)
    {
        try
        {
            var id = _repository.Key.ComputeId(chunk.Span);
            await _saver.SaveAsync(BlobType.Data, id, chunk.Memory, cancellationToken);
            return new ChunkRef(id, (uint)chunk.Length);
        }
        finally
        {
            chunk.Return();
        }
    }
}

/// <summary>What describes a snapshot besides its streams.</summary>
public sealed record SnapshotDescription(string Kind, string Source, IReadOnlyList<string> Tags, string Program)
{
    /// <summary>The snapshot's time; the start of the backup when null.</summary>
    public DateTimeOffset? Time { get; init; }

    public System.Text.Json.Nodes.JsonObject? Manifest { get; init; }

    /// <summary>The host recorded; this machine's when null (a copy keeps the original's).</summary>
    public string? Host { get; init; }

    /// <summary>The user recorded; the current one when null (a copy keeps the original's).</summary>
    public string? User { get; init; }

    /// <summary>The summary recorded; this writer's statistics when null (a copy keeps the original's).</summary>
    public SnapshotSummary? Summary { get; init; }

    /// <summary>For a copy: the id of the original snapshot (see <see cref="Snapshot.CopiedFrom"/>).</summary>
    public string? CopiedFrom { get; init; }
}
