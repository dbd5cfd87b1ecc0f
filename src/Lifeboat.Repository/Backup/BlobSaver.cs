using System.Collections.Concurrent;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Backup;

/// <summary>
/// Deduplicates, seals and packs blobs, and uploads full packs in the background. Thread-safe:
/// many streams save blobs at once. Memory is bounded by a fixed pool of pack buffers (one being
/// filled, the others uploading). New packs are recorded in index files every
/// <see cref="PacksPerIndexFile"/> packs and at <see cref="FlushAsync"/>, so an interrupted
/// backup still leaves indexed, reusable data.
/// </summary>
internal sealed class BlobSaver
{
    private const int PacksPerIndexFile = 256;

    private readonly BackupRepository _repository;
    private readonly MasterIndex _index;
    private readonly BackupStats _stats;
    private readonly ConcurrentDictionary<BlobId, byte> _claimed = new();
    private readonly PackBufferPool _buffers;
    private readonly SemaphoreSlim _packGate = new(1, 1);
    private readonly Lock _indexLock = new();
    private readonly List<IndexedPack> _unindexed = [];
    private readonly List<Task> _uploads = [];
    private PackBuilder? _current;

    public BlobSaver(BackupRepository repository, MasterIndex index, BackupStats stats, int uploadConcurrency)
    {
        _repository = repository;
        _index = index;
        _stats = stats;
        var config = repository.Config;
        _buffers = new PackBufferPool(Math.Max(1, uploadConcurrency) + 1, config.PackSize + config.Chunker.MaxSize + (256 * 1024));
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
        await _packGate.WaitAsync(cancellationToken);
        try
        {
            _current ??= new PackBuilder(await _buffers.RentAsync(cancellationToken));
            _current.Add(sealedBlob);
            if (_current.Size >= _repository.Config.PackSize)
            {
                full = _current;
                _current = null;
            }
        }
        finally
        {
            _packGate.Release();
            sealedBlob.Return();
        }

        _stats.AddNew(plaintext.Length, sealedBlob.Length);
        if (full is not null)
        {
            await StartUploadAsync(full);
        }
    }

    /// <summary>Uploads the last partial pack, waits for every upload and writes the index.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        PackBuilder? last;
        await _packGate.WaitAsync(cancellationToken);
        try
        {
            last = _current is { Count: > 0 } ? _current : null;
            _current = null;
        }
        finally
        {
            _packGate.Release();
        }

        if (last is not null)
        {
            await StartUploadAsync(last);
        }

        Task[] pending;
        lock (_uploads)
        {
            pending = [.. _uploads];
        }

        await Task.WhenAll(pending);
        await WriteIndexAsync(force: true, cancellationToken);
    }

    private async Task StartUploadAsync(PackBuilder builder)
    {
        var task = Task.Run(() => UploadAsync(builder));
        Task? failed;
        lock (_uploads)
        {
            _uploads.RemoveAll(t => t.IsCompletedSuccessfully);
            _uploads.Add(task);
            failed = _uploads.FirstOrDefault(t => t.IsFaulted || t.IsCanceled);
        }

        // Surface a failed upload promptly rather than at the end of the backup.
        if (failed is not null)
        {
            await failed;
        }
    }

    private async Task UploadAsync(PackBuilder builder)
    {
        // Uploads are not cancelled half-way: a pack is written whole or not at all anyway.
        try
        {
            var pack = builder.Finish(_repository.Key);
            try
            {
                await _repository.Storage.WriteAsync(Pack.ObjectName(pack.Id), pack.Bytes, CancellationToken.None);
            }
            catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
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
            _buffers.Return(builder.Buffer);
        }

        await WriteIndexAsync(force: false, CancellationToken.None);
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
}
