namespace Lifeboat.Storage;

/// <summary>How a storage failure should be handled.</summary>
public enum StorageErrorKind
{
    /// <summary>The object does not exist.</summary>
    NotFound,

    /// <summary>An object of that name exists already; objects are write-once.</summary>
    AlreadyExists,

    /// <summary>A passing fault (timeout, throttling, 5xx, connection reset): worth retrying.</summary>
    Transient,

    /// <summary>Retrying will not help (access denied, missing bucket, bad request).</summary>
    Permanent,

    /// <summary>The store has no space left.</summary>
    OutOfSpace,
}

/// <summary>A classified failure of a storage backend.</summary>
public class StorageException : Exception
{
    /// <summary>A failure of <paramref name="kind"/>; the message says what failed and, where it helps, what to do.</summary>
    public StorageException(StorageErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>How the failure should be handled (retried, reported, ...).</summary>
    public StorageErrorKind Kind { get; }

    /// <summary>Whether a file-system error says the disk or the quota is full (errno ENOSPC/EDQUOT, or a failed preallocation's "disk was full").</summary>
    public static bool IsOutOfSpace(IOException exception) => LocalFileErrors.IsOutOfSpace(exception);

    /// <summary>
    /// An <see cref="StorageErrorKind.OutOfSpace"/> failure: <paramref name="what"/> says which store is full,
    /// <paramref name="remedy"/> how to make room; the message adds that nothing already stored is affected
    /// (objects are written whole or not at all).
    /// </summary>
    public static StorageException OutOfSpace(string what, string remedy, Exception innerException) =>
        new(StorageErrorKind.OutOfSpace,
            $"{what}: {remedy}, then run the command again; nothing already saved is lost (a write that fails leaves no part of its object)",
            innerException);

    /// <summary>A <see cref="StorageErrorKind.NotFound"/> failure for object <paramref name="name"/>.</summary>
    public static StorageException NotFound(string location, string name) =>
        new(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}");

    /// <summary>An <see cref="StorageErrorKind.AlreadyExists"/> failure for object <paramref name="name"/>.</summary>
    public static StorageException AlreadyExists(string location, string name) =>
        new(StorageErrorKind.AlreadyExists, $"object '{name}' already exists in {location} and objects are never overwritten");
}
