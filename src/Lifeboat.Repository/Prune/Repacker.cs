using System.Buffers;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Prune;

/// <summary>
/// Copies the surviving blobs of packs into new packs. Each source pack is read whole, checked
/// against its name (SHA-256), and every copied blob is authenticated and checked against its
/// id before its sealed bytes are copied unchanged (a blob's seal does not depend on its
/// position). Memory: one source pack and one pack being filled.
/// </summary>
internal sealed class Repacker(BackupRepository repository, PrunePlan plan)
{
    private readonly List<IndexedPack> _written = [];
    private PackBuilder? _builder;
    private byte[]? _buffer;
    private long _blobsCopied;
    private long _bytesCopied;
    private int _packsRead;

    public IReadOnlyList<IndexedPack> Written => _written;

    public long BlobsCopied => Interlocked.Read(ref _blobsCopied);

    public long BytesCopied => Interlocked.Read(ref _bytesCopied);

    public int PacksRead => Volatile.Read(ref _packsRead);

    public async Task RepackAsync(PrunePack source, CancellationToken cancellationToken)
    {
        var name = Pack.ObjectName(source.Id);
        byte[] bytes;
        try
        {
            bytes = await repository.Storage.ReadAsync(name, 0, null, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
        {
            throw new IntegrityException($"pack '{name}' vanished while prune ran: run 'lifeboat check'", e);
        }

        if (BlobId.HashOf(bytes) != source.Id)
        {
            throw new IntegrityException($"pack '{name}' is damaged (its content does not match its name): run 'lifeboat check'; prune stopped before removing anything");
        }

        foreach (var entry in source.Entries)
        {
            if (!plan.Owns(source, entry.Id))
            {
                continue;
            }

            if ((long)entry.Offset + entry.Length > bytes.Length)
            {
                throw new IntegrityException($"the index places blob {entry.Id.Short} beyond the end of pack '{name}': run 'lifeboat check'");
            }

            var stored = bytes.AsSpan((int)entry.Offset, (int)entry.Length);
            repository.Codec.Verify(entry, stored, $"pack '{name}'");
            var pooled = ArrayPool<byte>.Shared.Rent(stored.Length);
            stored.CopyTo(pooled);
            await AddAsync(new SealedBlob(entry.Type, entry.Id, pooled, stored.Length, entry.RawLength, entry.Encoding), cancellationToken);
        }

        Interlocked.Increment(ref _packsRead);
    }

    /// <summary>Writes the last, partly filled pack.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_builder is { Count: > 0 })
        {
            await WritePackAsync(cancellationToken);
        }
    }

    /// <summary>Adds a sealed blob (its pooled buffer is returned) and writes the pack when full.</summary>
    private async Task AddAsync(SealedBlob blob, CancellationToken cancellationToken)
    {
        var config = repository.Config;
        _buffer ??= new byte[config.PackSize + config.Chunker.MaxSize + (256 * 1024)];
        _builder ??= new PackBuilder(_buffer);
        try
        {
            _builder.Add(blob);
        }
        finally
        {
            blob.Return();
        }

        Interlocked.Increment(ref _blobsCopied);
        Interlocked.Add(ref _bytesCopied, blob.Length);
        if (_builder.Size >= config.PackSize)
        {
            await WritePackAsync(cancellationToken);
        }
    }

    private async Task WritePackAsync(CancellationToken cancellationToken)
    {
        var pack = _builder!.Finish(repository.Key);
        try
        {
            await repository.Storage.WriteAsync(Pack.ObjectName(pack.Id), pack.Bytes, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            // Same bytes under the same name: stored already.
        }

        _written.Add(new IndexedPack(pack.Id, [.. pack.Entries]));
        _buffer = _builder.Buffer;
        _builder = null;
    }
}
