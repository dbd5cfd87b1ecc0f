namespace Lifeboat.Storage;

/// <summary>Range checks shared by the backends' <see cref="IStorage.ReadAsync"/>.</summary>
public static class ObjectRange
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a negative offset or length.</summary>
    public static void ValidateArguments(long offset, long? length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
        }
    }

    /// <summary>
    /// The number of bytes to read from an object of <paramref name="size"/> bytes; throws a
    /// <see cref="StorageErrorKind.Permanent"/> <see cref="StorageException"/> when the range
    /// lies beyond the end or is too large for one array.
    /// </summary>
    public static int Resolve(string location, string name, long size, long offset, long? length)
    {
        long end = length is { } l ? offset + l : size;
        if (offset > size || end > size || end < offset)
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"cannot read bytes {offset}..{end} of object '{name}' in {location}: it has only {size} bytes");
        }

        long count = end - offset;
        if (count > Array.MaxLength)
        {
            throw new StorageException(
                StorageErrorKind.Permanent,
                $"cannot read {count} bytes of object '{name}' in {location} at once: read it in smaller ranges");
        }

        return (int)count;
    }
}
