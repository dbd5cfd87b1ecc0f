using System.Buffers;
using Lifeboat.Repository.Crypto;

namespace Lifeboat.Repository.Format;

/// <summary>
/// Turns a blob's plaintext into its stored form and back: for data blobs of tab-separated lines
/// (COPY text) in a format-2 repository, the column layout first (<see cref="ColumnLayout"/>); then
/// zstd (kept only when it shrinks the blob), then AES-256-GCM with the blob id as associated data.
/// Opening verifies the authentication tag and then that HMAC(id key, plaintext) equals the id.
/// </summary>
internal sealed class BlobCodec(MasterKey key, int compressionLevel, bool columns = false)
{
    public MasterKey Key { get; } = key;

    public int CompressionLevel { get; } = compressionLevel;

    /// <summary>Whether data blobs may be stored in the column layout (repository format version 2).</summary>
    public bool Columns { get; } = columns;

    /// <summary>A sealed blob in a pooled buffer, ready to append to a pack.</summary>
    public SealedBlob Seal(BlobType type, BlobId id, ReadOnlySpan<byte> plaintext)
    {
        var encoded = Columns && CompressionLevel > 0 && type == BlobType.Data ? EncodeColumns(plaintext) : null;
        var input = encoded is { } e ? e.Buffer.AsSpan(0, e.Length) : plaintext;
        var scratch = ArrayPool<byte>.Shared.Rent(Zstd.CompressBound(input.Length));
        try
        {
            var compressedLength = CompressionLevel > 0 ? Zstd.Compress(input, scratch, CompressionLevel) : int.MaxValue;
            var compressed = compressedLength < plaintext.Length;
            var payload = compressed ? scratch.AsSpan(0, compressedLength) : plaintext;
            var encoding = !compressed ? BlobEncoding.None : encoded is null ? BlobEncoding.Compressed : BlobEncoding.Compressed | BlobEncoding.Columns;
            var sealedLength = Sealer.SealedLength(payload.Length);
            var output = ArrayPool<byte>.Shared.Rent(sealedLength);
            try
            {
                Span<byte> aad = stackalloc byte[BlobId.Size];
                id.Write(aad);
                Sealer.Seal(Key.DataKey, payload, aad, output.AsSpan(0, sealedLength));
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(output);
                throw;
            }

            return new SealedBlob(type, id, output, sealedLength, (uint)plaintext.Length, encoding);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            if (encoded is { } used)
            {
                ArrayPool<byte>.Shared.Return(used.Buffer);
            }
        }
    }

    /// <summary>
    /// The column layout of <paramref name="plaintext"/>, proven to decode back to it (a blob is only
    /// ever stored in a form that reads back; the check costs about a third of the encoding's time):
    /// null when the layout does not apply or, should that ever happen, does not decode back.
    /// </summary>
    private static (byte[] Buffer, int Length)? EncodeColumns(ReadOnlySpan<byte> plaintext)
    {
        (byte[] Buffer, int Length)? tried;
        try
        {
            tried = ColumnLayout.TryEncode(plaintext);
        }
        catch (Exception)
        {
            // the layout's own consistency checks failed: store the rows (TryEncode returned its buffer)
            return null;
        }

        if (tried is not { } encoded)
        {
            return null;
        }

        var decoded = ArrayPool<byte>.Shared.Rent(plaintext.Length);
        try
        {
            ColumnLayout.Decode(encoded.Buffer.AsSpan(0, encoded.Length), decoded.AsSpan(0, plaintext.Length));
            if (decoded.AsSpan(0, plaintext.Length).SequenceEqual(plaintext))
            {
                return encoded;
            }
        }
        catch (Exception)
        {
            // does not decode back: store the rows
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(decoded);
        }

        ArrayPool<byte>.Shared.Return(encoded.Buffer);
        return null;
    }

    /// <summary>
    /// The plaintext of a stored blob. Throws <see cref="IntegrityException"/> when the bytes
    /// were altered, belong to another blob, or do not decode to the expected length.
    /// </summary>
    public byte[] Open(PackEntry entry, ReadOnlySpan<byte> stored, string where)
    {
        var plaintext = new byte[entry.RawLength];
        OpenInto(entry, stored, where, plaintext);
        return plaintext;
    }

    /// <summary>
    /// Opens a stored blob as <see cref="Open"/> does, into a buffer rented from the shared pool:
    /// for readers that hand the plaintext on at once (restore), without a large allocation per blob.
    /// </summary>
    public PooledBlob OpenPooled(PackEntry entry, ReadOnlySpan<byte> stored, string where)
    {
        var length = (int)entry.RawLength;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            OpenInto(entry, stored, where, buffer.AsSpan(0, length));
            return new PooledBlob(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// Checks a stored blob as <see cref="Open"/> does, decoding into a pooled buffer that is
    /// returned at once: what check and prune need, without a large allocation per blob.
    /// </summary>
    public void Verify(PackEntry entry, ReadOnlySpan<byte> stored, string where) => OpenPooled(entry, stored, where).Dispose();

    private void OpenInto(PackEntry entry, ReadOnlySpan<byte> stored, string where, Span<byte> plaintext)
    {
        if (stored.Length != entry.Length || stored.Length < Sealer.Overhead)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} has the wrong length");
        }

        Span<byte> aad = stackalloc byte[BlobId.Size];
        entry.Id.Write(aad);
        var payloadLength = stored.Length - Sealer.Overhead;
        if (entry.Columns && entry.Type != BlobType.Data)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} is a {entry.Type.ToString().ToLowerInvariant()} blob flagged as columns, which lifeboat never writes");
        }

        if (entry.Compressed)
        {
            var payload = ArrayPool<byte>.Shared.Rent(payloadLength);
            try
            {
                if (!Sealer.TryOpen(Key.DataKey, stored, aad, payload))
                {
                    throw new IntegrityException($"blob {entry.Id.Short} in {where} failed authentication: the data was altered or damaged");
                }

                if (entry.Columns)
                {
                    DecompressColumns(entry, payload.AsSpan(0, payloadLength), where, plaintext);
                }
                else
                {
                    DecompressExactly(entry, payload.AsSpan(0, payloadLength), where, plaintext);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(payload);
            }
        }
        else
        {
            if (entry.Columns)
            {
                throw new IntegrityException($"blob {entry.Id.Short} in {where} is flagged as columns without compression, which lifeboat never writes");
            }

            if (payloadLength != plaintext.Length || !Sealer.TryOpen(Key.DataKey, stored, aad, plaintext))
            {
                throw new IntegrityException($"blob {entry.Id.Short} in {where} failed authentication: the data was altered or damaged");
            }
        }

        if (Key.ComputeId(plaintext) != entry.Id)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} does not match its id");
        }
    }

    /// <summary>Decompresses <paramref name="payload"/> into exactly <paramref name="destination"/>.</summary>
    private static void DecompressExactly(PackEntry entry, ReadOnlySpan<byte> payload, string where, Span<byte> destination)
    {
        int written;
        try
        {
            written = Zstd.Decompress(payload, destination);
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} does not decompress", e);
        }

        if (written != destination.Length)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} decompressed to {written} bytes, expected {destination.Length}");
        }
    }

    private static void DecompressColumns(PackEntry entry, ReadOnlySpan<byte> payload, string where, Span<byte> plaintext)
    {
        var size = Zstd.FrameContentSize(payload);
        if (size < 0)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} does not decompress: it is not a zstd frame that declares its size");
        }

        if (size > ColumnLayout.MaxEncodedLength(plaintext.Length))
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} does not decompress: its frame holds {size} bytes, more than {plaintext.Length} bytes in columns can");
        }

        var columns = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            DecompressExactly(entry, payload, where, columns.AsSpan(0, (int)size));
            ColumnLayout.Decode(columns.AsSpan(0, (int)size), plaintext);
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException($"blob {entry.Id.Short} in {where} does not decode: {e.Message}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(columns);
        }
    }
}

/// <summary>A sealed blob in a pooled buffer; <see cref="Return"/> gives the buffer back.</summary>
internal sealed class SealedBlob(BlobType type, BlobId id, byte[] buffer, int length, uint rawLength, BlobEncoding encoding)
{
    public BlobType Type { get; } = type;

    public BlobId Id { get; } = id;

    public ReadOnlySpan<byte> Bytes => buffer.AsSpan(0, Length);

    public int Length { get; } = length;

    public uint RawLength { get; } = rawLength;

    public BlobEncoding Encoding { get; } = encoding;

    public void Return() => ArrayPool<byte>.Shared.Return(buffer);
}

/// <summary>A blob's plaintext in a buffer rented from the shared pool; disposing gives it back (once).</summary>
internal sealed class PooledBlob(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBlob))).AsMemory(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
