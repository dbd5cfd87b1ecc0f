namespace Lifeboat.Repository.Backup;

/// <summary>Counters of a running backup, read by progress displays (thread-safe).</summary>
public sealed class BackupStats
{
    private long _bytesRead;
    private long _newBytes;
    private long _storedBytes;
    private long _newBlobs;
    private long _duplicateBlobs;
    private long _newPacks;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long NewBytes => Interlocked.Read(ref _newBytes);

    public long StoredBytes => Interlocked.Read(ref _storedBytes);

    public long NewBlobs => Interlocked.Read(ref _newBlobs);

    public long DuplicateBlobs => Interlocked.Read(ref _duplicateBlobs);

    public long NewPacks => Interlocked.Read(ref _newPacks);

    internal void AddRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    internal void AddNew(long rawBytes, long storedBytes)
    {
        Interlocked.Add(ref _newBytes, rawBytes);
        Interlocked.Add(ref _storedBytes, storedBytes);
        Interlocked.Increment(ref _newBlobs);
    }

    internal void AddDuplicate() => Interlocked.Increment(ref _duplicateBlobs);

    internal void AddPack() => Interlocked.Increment(ref _newPacks);
}
