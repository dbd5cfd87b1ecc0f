namespace Lifeboat.Repository.Format;

/// <summary>What a blob holds: stream content, or a list of content chunks.</summary>
public enum BlobType : byte
{
    Data = 0,
    Tree = 1,
}

/// <summary>One blob inside a pack: where its sealed bytes are and how to decode them.</summary>
public readonly record struct PackEntry(BlobType Type, BlobId Id, uint Offset, uint Length, uint RawLength, bool Compressed)
{
    /// <summary>Bytes per entry in pack headers and index files.</summary>
    public const int EncodedSize = 1 + BlobId.Size + 4 + 4 + 4 + 1;
}
