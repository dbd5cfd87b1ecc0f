namespace Lifeboat.Repository.Format;

/// <summary>
/// A tree blob lists, in order, the content chunks of part of a stream: magic "LBTR", version,
/// count, then per chunk its id and plaintext length. A stream's content is the concatenation
/// of its tree blobs' chunks. Unchanged streams produce identical tree blobs, so they dedup.
/// </summary>
internal static class TreeBlob
{
    /// <summary>Chunks per tree blob: 16,384 chunks of about 1 MiB, ~600 KiB of list.</summary>
    public const int MaxEntries = 16384;

    private static readonly byte[] Magic = "LBTR"u8.ToArray();
    private const byte Version = 1;

    public static byte[] Encode(IReadOnlyList<ChunkRef> chunks)
    {
        using var stream = new MemoryStream(9 + chunks.Count * (BlobId.Size + 4));
        stream.Write(Magic);
        stream.WriteByte(Version);
        BinaryWriting.WriteUInt32(stream, (uint)chunks.Count);
        foreach (var chunk in chunks)
        {
            BinaryWriting.WriteId(stream, chunk.Id);
            BinaryWriting.WriteUInt32(stream, chunk.Length);
        }

        return stream.ToArray();
    }

    public static List<ChunkRef> Decode(ReadOnlySpan<byte> data, string where)
    {
        var cursor = new BinaryCursor(data, where);
        cursor.ExpectMagic(Magic, Version);
        var count = cursor.ReadUInt32();
        if (count > MaxEntries)
        {
            throw new IntegrityException($"{where} lists too many chunks");
        }

        var chunks = new List<ChunkRef>((int)count);
        for (var i = 0; i < count; i++)
        {
            chunks.Add(new ChunkRef(cursor.ReadId(), cursor.ReadUInt32()));
        }

        if (!cursor.AtEnd)
        {
            throw new IntegrityException($"{where} has trailing bytes");
        }

        return chunks;
    }
}

/// <summary>A content chunk: its blob id and plaintext length.</summary>
public readonly record struct ChunkRef(BlobId Id, uint Length);
