namespace Lifeboat.Repository.Format;

/// <summary>What a blob holds: stream content, or a list of content chunks.</summary>
public enum BlobType : byte
{
    Data = 0,
    Tree = 1,
}

/// <summary>How a blob's plaintext was turned into its sealed payload (the flags byte of a pack entry).</summary>
[Flags]
public enum BlobEncoding : byte
{
    /// <summary>The payload is the plaintext.</summary>
    None = 0,

    /// <summary>The payload is one zstd frame.</summary>
    Compressed = 1,

    /// <summary>Before compression, the plaintext was reordered into columns (<see cref="ColumnLayout"/>; format version 2).</summary>
    Columns = 2,
}

/// <summary>One blob inside a pack: where its sealed bytes are and how to decode them.</summary>
public readonly record struct PackEntry(BlobType Type, BlobId Id, uint Offset, uint Length, uint RawLength, BlobEncoding Encoding)
{
    /// <summary>Bytes per entry in pack headers and index files.</summary>
    public const int EncodedSize = 1 + BlobId.Size + 4 + 4 + 4 + 1;

    /// <summary>Every flag a reader of this version knows.</summary>
    public const BlobEncoding KnownEncodings = BlobEncoding.Compressed | BlobEncoding.Columns;

    public bool Compressed => (Encoding & BlobEncoding.Compressed) != 0;

    public bool Columns => (Encoding & BlobEncoding.Columns) != 0;
}
