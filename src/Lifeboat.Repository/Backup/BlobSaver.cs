using System.Collections.Concurrent;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Backup;

/// <summary>
/// Deduplicates, seals and packs blobs, and uploads full packs with bounded concurrency (which
/// also bounds memory: at most <c>uploads + 1</c> packs are held). Thread-safe: many streams
/// save blobs at once. New packs are recorded in index files every
/// <see cref="PacksPerIndexFile"/> packs and at <see cref="FlushAsync"/>, so an interrupted
/// backup still leaves indexed, reusable data.
/// </summary>
internal sealed class BlobSaver
{
    private const int PacksPerIndexFile = 256;

    private readonly Repository _repository;
    private readonly MasterIndex _index;
    private readonly BackupStats _stats;
    private readonly ConcurrentDictionary<BlobId, byte> _claimed = new();
    private readonly SemaphoreSlim _uploadSlots;
    private readonly Lock _packLock = new();
    private readonly Lock _indexLock = new();
    private readonly List<IndexedPack> _unindexed = [];
    private readonly List<Task> _uploads = [];
    private PackBuilder _current;

    public BlobSaver(Repository repository, MasterIndex index, BackupStats stats, int uploadConcurrency)
    {
        _repository = repository;
        _index = index;
        _stats = stats;
        _uploadSlots = new SemaphoreSlim(Math.Max(1, uploadConcurrency));
        _current = NewBuilder();
    }

    /// <summary>Index files written by this saver.</summary>
    public List<BlobId> WrittenIndexFiles { get; } = [];

    /// <summary>Every pack this saver uploaded.</summary>
    public List<IndexedPack> UploadedPacks { get; } = [];

    /// <summary>Saves a blob unless the repository (or this backup) has it already.</summary>
    public async Task SaveAsync(BlobType type, BlobId id, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (_index.Contains(id) || !_claimed.TryAdd(id, 0))
        {
            _stats.AddDuplicate();
            return;
        }

        var sealedBlob = _repository.Codec.Seal(type, id, plaintext.Span);
        PackBuilder? full = null;
        lock (_packLock)
        {
            _current.Add(sealedBlob);
            if (_current.Size >= _repository.Config.PackSize)
            {
                full = _current;
                _current = NewBuilder();
            }
        }

        _stats.AddNew(plaintext.Length, sealedBlob.Length);
        sealedBlob.Return();
        if (full is not null)
        {
            await UploadAsync(full, cancellationToken);
        }
    }

    /// <summary>Uploads the last partial pack, waits for every upload and writes the index.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        PackBuilder? last;
        lock (_packLock)
        {
            last = _current.Count > 0 ? _current : null;
            _current = NewBuilder();
        }

        if (last is not null)
        {
            await UploadAsync(last, cancellationToken);
        }

        Task[] pending;
        lock (_uploads)
        {
            pending = [.. _uploads];
        }

        await Task.WhenAll(pending);
        await WriteIndexAsync(force: true, cancellationToken);
    }

    private async Task UploadAsync(PackBuilder builder, CancellationToken cancellationToken)
    {
        // Waiting for a slot here is the back-pressure that bounds memory.
        await _uploadSlots.WaitAsync(cancellationToken);
        var task = Task.Run(
            async () =>
            {
                try
                {
                    var pack = builder.Finish(_repository.Key);
                    try
                    {
                        await _repository.Storage.WriteAsync(Pack.ObjectName(pack.Id), pack.Bytes, cancellationToken);
                    }
                    catch (Storage.StorageException e) when (e.Kind == Storage.StorageErrorKind.AlreadyExists)
                    {
                        // Identical bytes under the same name: already stored.
                    }

                    _stats.AddPack();
                    lock (_indexLock)
                    {
                        var indexed = new IndexedPack(pack.Id, pack.Entries);
                        _unindexed.Add(indexed);
                        UploadedPacks.Add(indexed);
                    }
                }
                finally
                {
                    _uploadSlots.Release();
                }

                await WriteIndexAsync(force: false, cancellationToken);
            },
            cancellationToken);
        lock (_uploads)
        {
            _uploads.RemoveAll(t => t.IsCompletedSuccessfully);
            _uploads.Add(task);
        }

        if (task.IsFaulted || task.IsCanceled)
        {
            await task;
        }

        // Surface failures of earlier uploads promptly rather than at the end.
        Task? failed;
        lock (_uploads)
        {
            failed = _uploads.FirstOrDefault(t => t.IsFaulted || t.IsCanceled);
        }

        if (failed is not null)
        {
            await failed;
        }
    }

    private async Task WriteIndexAsync(bool force, CancellationToken cancellationToken)
    {
        List<IndexedPack> batch;
        lock (_indexLock)
        {
            if (_unindexed.Count == 0 || (!force && _unindexed.Count < PacksPerIndexFile))
            {
                return;
            }

            batch = [.. _unindexed];
            _unindexed.Clear();
        }

        for (var i = 0; i < batch.Count; i += IndexFile.MaxPacks)
        {
            var part = batch.GetRange(i, Math.Min(IndexFile.MaxPacks, batch.Count - i));
            var id = await _repository.WriteHashedObjectAsync("index/", IndexFile.Encode(part, _repository.Key), cancellationToken);
            lock (_indexLock)
            {
                WrittenIndexFiles.Add(id);
            }
        }
    }

    private PackBuilder NewBuilder() => new(_repository.Config.PackSize + (_repository.Config.Chunker.MaxSize * 2));
}
