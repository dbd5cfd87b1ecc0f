using System.Buffers.Binary;
using System.Text;
using Lifeboat.Repository.Crypto;

namespace Lifeboat.Repository.Format;

/// <summary>
/// A pack (<c>data/&lt;2 hex&gt;/&lt;sha256&gt;</c>): sealed blobs back to back, then the sealed
/// header (magic, version, entry count, entries), then the header's sealed length as a 4-byte
/// little-endian integer. The pack's name is the SHA-256 of all its bytes.
/// </summary>
public static class Pack
{
    private static readonly byte[] Magic = "LBPK"u8.ToArray();
    private static readonly byte[] HeaderAad = Encoding.ASCII.GetBytes("lifeboat pack header v1");
    private const byte Version = 1;

    public static string ObjectName(BlobId packId)
    {
        var hex = packId.ToString();
        return $"data/{hex[..2]}/{hex}";
    }

    /// <summary>The sealed header plus its length trailer for these entries.</summary>
    public static byte[] EncodeHeader(IReadOnlyList<PackEntry> entries, MasterKey key)
    {
        using var plain = new MemoryStream(16 + entries.Count * PackEntry.EncodedSize);
        plain.Write(Magic);
        plain.WriteByte(Version);
        BinaryWriting.WriteUInt32(plain, (uint)entries.Count);
        foreach (var entry in entries)
        {
            BinaryWriting.WriteEntry(plain, entry);
        }

        var sealedHeader = Sealer.Seal(key.DataKey, plain.ToArray(), HeaderAad);
        var result = new byte[sealedHeader.Length + 4];
        sealedHeader.CopyTo(result, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(sealedHeader.Length), (uint)sealedHeader.Length);
        return result;
    }

    /// <summary>Reads and authenticates the header of a whole pack; checks the entries lie within it.</summary>
    public static IReadOnlyList<PackEntry> DecodeHeader(ReadOnlySpan<byte> pack, MasterKey key, string where)
    {
        if (pack.Length < 4 + Sealer.Overhead)
        {
            throw new IntegrityException($"{where} is too short to be a pack");
        }

        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pack[^4..]);
        if (headerLength > pack.Length - 4 || headerLength < Sealer.Overhead)
        {
            throw new IntegrityException($"{where} has a malformed header length");
        }

        var headerStart = pack.Length - 4 - (int)headerLength;
        var plain = Sealer.TryOpen(key.DataKey, pack.Slice(headerStart, (int)headerLength), HeaderAad)
            ?? throw new IntegrityException($"the header of {where} failed authentication: the pack was altered or damaged");
        var cursor = new BinaryCursor(plain, $"the header of {where}");
        cursor.ExpectMagic(Magic, Version);
        var count = cursor.ReadUInt32();
        var entries = new List<PackEntry>((int)Math.Min(count, 1_000_000));
        for (var i = 0; i < count; i++)
        {
            var entry = cursor.ReadEntry();
            if ((long)entry.Offset + entry.Length > headerStart)
            {
                throw new IntegrityException($"the header of {where} points past the pack's data");
            }

            entries.Add(entry);
        }

        if (!cursor.AtEnd)
        {
            throw new IntegrityException($"the header of {where} has trailing bytes");
        }

        return entries;
    }
}

/// <summary>
/// Accumulates sealed blobs into one pack in a reusable buffer (large buffers are recycled by
/// the caller rather than left to the garbage collector, which keeps peak memory flat).
/// </summary>
internal sealed class PackBuilder
{
    private readonly List<PackEntry> _entries = [];
    private byte[] _buffer;
    private int _length;

    public PackBuilder(byte[] buffer)
    {
        _buffer = buffer;
    }

    public long Size => _length;

    public int Count => _entries.Count;

    /// <summary>The buffer, to recycle once the finished pack has been stored.</summary>
    public byte[] Buffer => _buffer;

    public void Add(SealedBlob blob)
    {
        EnsureRoom(blob.Length);
        blob.Bytes.CopyTo(_buffer.AsSpan(_length));
        _entries.Add(new PackEntry(blob.Type, blob.Id, (uint)_length, (uint)blob.Length, blob.RawLength, blob.Encoding));
        _length += blob.Length;
    }

    /// <summary>The finished pack: its id, bytes (in this builder's buffer) and entries.</summary>
    public FinishedPack Finish(MasterKey key)
    {
        var header = Pack.EncodeHeader(_entries, key);
        EnsureRoom(header.Length);
        header.CopyTo(_buffer.AsSpan(_length));
        _length += header.Length;
        var bytes = _buffer.AsMemory(0, _length);
        return new FinishedPack(BlobId.HashOf(bytes.Span), bytes, _entries);
    }

    private void EnsureRoom(int extra)
    {
        if (_buffer.Length - _length < extra)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }
}

/// <summary>A pack ready to upload.</summary>
internal sealed record FinishedPack(BlobId Id, ReadOnlyMemory<byte> Bytes, IReadOnlyList<PackEntry> Entries);
