using System.Text;
using Lifeboat.Repository.Crypto;

namespace Lifeboat.Repository.Format;

/// <summary>
/// An index file (<c>index/&lt;sha256&gt;</c>): for each pack its id and entries, so blobs can be
/// found without reading pack headers. Binary (magic "LBIX", version, pack count; per pack: id,
/// entry count, entries), zstd-compressed, sealed. Index files may overlap; any pack listed
/// must exist. Named by the SHA-256 of the stored bytes.
/// </summary>
internal static class IndexFile
{
    private static readonly byte[] Magic = "LBIX"u8.ToArray();
    private static readonly byte[] Aad = Encoding.ASCII.GetBytes("lifeboat index v1");
    private const byte Version = 1;

    /// <summary>Packs per index file (about 16 GiB of data at 16 MiB per pack).</summary>
    public const int MaxPacks = 1024;

    // 1,024 packs of at most a few hundred thousand entries each; far above what a writer produces
    private const int MaxPlainBytes = 1 << 30;

    public static string ObjectName(BlobId id) => $"index/{id}";

    public static byte[] Encode(IReadOnlyList<IndexedPack> packs, MasterKey key)
    {
        using var plain = new MemoryStream();
        plain.Write(Magic);
        plain.WriteByte(Version);
        BinaryWriting.WriteUInt32(plain, (uint)packs.Count);
        foreach (var pack in packs)
        {
            BinaryWriting.WriteId(plain, pack.PackId);
            BinaryWriting.WriteUInt32(plain, (uint)pack.Entries.Count);
            foreach (var entry in pack.Entries)
            {
                BinaryWriting.WriteEntry(plain, entry);
            }
        }

        var source = plain.GetBuffer().AsSpan(0, (int)plain.Length);
        var compressed = new byte[Zstd.CompressBound(source.Length)];
        var length = Zstd.Compress(source, compressed, 3);
        return Sealer.Seal(key.DataKey, compressed.AsSpan(0, length), Aad);
    }

    public static List<IndexedPack> Decode(ReadOnlySpan<byte> stored, MasterKey key, string where)
    {
        var compressed = Sealer.TryOpen(key.DataKey, stored, Aad)
            ?? throw new IntegrityException($"{where} failed authentication: the index was altered or damaged");
        byte[] plain;
        try
        {
            // every writer (ZstdSharp before, libzstd now) declares the frame's size; the size is authenticated
            var size = Zstd.FrameContentSize(compressed);
            if (size < 0 || size > MaxPlainBytes)
            {
                throw new InvalidDataException(size < 0 ? "the frame declares no size" : $"the frame declares {size} bytes");
            }

            plain = new byte[size];
            if (Zstd.Decompress(compressed, plain) != size)
            {
                throw new InvalidDataException("the frame is shorter than it declares");
            }
        }
        catch (InvalidDataException e)
        {
            throw new IntegrityException($"{where} does not decompress: {e.Message}", e);
        }

        var cursor = new BinaryCursor(plain, where);
        cursor.ExpectMagic(Magic, Version);
        var packCount = cursor.ReadUInt32();
        var packs = new List<IndexedPack>((int)Math.Min(packCount, MaxPacks));
        for (var p = 0; p < packCount; p++)
        {
            var packId = cursor.ReadId();
            var count = cursor.ReadUInt32();
            var entries = new List<PackEntry>((int)Math.Min(count, 100_000));
            for (var i = 0; i < count; i++)
            {
                entries.Add(cursor.ReadEntry());
            }

            packs.Add(new IndexedPack(packId, entries));
        }

        if (!cursor.AtEnd)
        {
            throw new IntegrityException($"{where} has trailing bytes");
        }

        return packs;
    }
}

/// <summary>A pack and the blobs it holds, as listed in an index file.</summary>
internal sealed record IndexedPack(BlobId PackId, IReadOnlyList<PackEntry> Entries)
{
    public long DataSize => Entries.Sum(e => (long)e.Length);
}
