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
    public StorageException(StorageErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public StorageErrorKind Kind { get; }

    public static StorageException NotFound(string location, string name) =>
        new(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}");

    public static StorageException AlreadyExists(string location, string name) =>
        new(StorageErrorKind.AlreadyExists, $"object '{name}' already exists in {location} and objects are never overwritten");
}
