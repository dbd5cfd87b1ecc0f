using System.Buffers.Binary;

namespace Lifeboat.Repository.Format;

/// <summary>Little-endian reader over a byte span that reports truncation as an integrity error.</summary>
internal ref struct BinaryCursor(ReadOnlySpan<byte> data, string what)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _data.Length - _position < count)
        {
            throw new IntegrityException($"{what} is truncated or malformed");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    public byte ReadByte() => Take(1)[0];

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public BlobId ReadId() => BlobId.Read(Take(BlobId.Size));

    public PackEntry ReadEntry()
    {
        var type = ReadByte();
        if (type > (byte)BlobType.Tree)
        {
            throw new IntegrityException($"{what} names an unknown blob type {type}");
        }

        var id = ReadId();
        var offset = ReadUInt32();
        var length = ReadUInt32();
        var raw = ReadUInt32();
        var flags = (BlobEncoding)ReadByte();
        if ((flags & ~PackEntry.KnownEncodings) != 0)
        {
            throw new IntegrityException(
                $"{what} stores blob {id.Short} with encoding flags 0x{(byte)flags:x2}, which this lifeboat does not know: it was written by a newer lifeboat; use that release");
        }

        return new PackEntry((BlobType)type, id, offset, length, raw, flags);
    }

    public void ExpectMagic(ReadOnlySpan<byte> magic, byte version)
    {
        if (!Take(magic.Length).SequenceEqual(magic) || ReadByte() != version)
        {
            throw new IntegrityException($"{what} has an unknown format or version");
        }
    }
}

/// <summary>Little-endian writer counterpart of <see cref="BinaryCursor"/>.</summary>
internal static class BinaryWriting
{
    public static void WriteEntry(Stream stream, PackEntry entry)
    {
        Span<byte> buffer = stackalloc byte[PackEntry.EncodedSize];
        buffer[0] = (byte)entry.Type;
        entry.Id.Write(buffer[1..]);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[33..], entry.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[37..], entry.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[41..], entry.RawLength);
        buffer[45] = (byte)entry.Encoding;
        stream.Write(buffer);
    }

    public static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, value);
        stream.Write(buffer);
    }

    public static void WriteId(Stream stream, BlobId id)
    {
        Span<byte> buffer = stackalloc byte[BlobId.Size];
        id.Write(buffer);
        stream.Write(buffer);
    }
}
