namespace Lifeboat.Storage;

/// <summary>The operations of <see cref="IStorage"/>, for per-operation settings and counters.</summary>
public enum StorageOperation
{
    /// <summary><see cref="IStorage.WriteAsync"/>.</summary>
    Write,

    /// <summary><see cref="IStorage.ReadAsync"/>.</summary>
    Read,

    /// <summary><see cref="IStorage.StatAsync"/>.</summary>
    Stat,

    /// <summary><see cref="IStorage.ListAsync"/>.</summary>
    List,

    /// <summary><see cref="IStorage.DeleteAsync"/>.</summary>
    Delete,
}
