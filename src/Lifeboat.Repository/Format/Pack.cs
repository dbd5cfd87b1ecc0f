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

/// <summary>Accumulates sealed blobs into one pack in memory.</summary>
public sealed class PackBuilder
{
    private readonly MemoryStream _buffer;
    private readonly List<PackEntry> _entries = [];

    public PackBuilder(int capacity)
    {
        _buffer = new MemoryStream(capacity);
    }

    public long Size => _buffer.Length;

    public int Count => _entries.Count;

    public void Add(SealedBlob blob)
    {
        var offset = (uint)_buffer.Length;
        _buffer.Write(blob.Bytes);
        _entries.Add(new PackEntry(blob.Type, blob.Id, offset, (uint)blob.Length, blob.RawLength, blob.Compressed));
    }

    /// <summary>The finished pack: its id, bytes and entries.</summary>
    public FinishedPack Finish(MasterKey key)
    {
        _buffer.Write(Pack.EncodeHeader(_entries, key));
        var bytes = _buffer.GetBuffer().AsMemory(0, (int)_buffer.Length);
        return new FinishedPack(BlobId.HashOf(bytes.Span), bytes, _entries);
    }
}

/// <summary>A pack ready to upload.</summary>
public sealed record FinishedPack(BlobId Id, ReadOnlyMemory<byte> Bytes, IReadOnlyList<PackEntry> Entries);
