namespace Lifeboat.Storage;

/// <summary>How <see cref="LocalFileStorage"/> makes a written file durable and visible under its name.</summary>
public sealed partial class LocalFileStorage
{
    private const int EExist = 17;

    // errnos of link(2) that mean "this file system has no hard links" (Linux and macOS values)
    private static readonly int[] NoHardLinkErrnos = [1 /* EPERM */, 18 /* EXDEV */, 31 /* EMLINK */, 38 /* ENOSYS */, 45 /* ENOTSUP (macOS) */, 78 /* ENOSYS (macOS) */, 95 /* ENOTSUP */, 102 /* EOPNOTSUPP (macOS) */];

    private void Publish(string temporary, string path, string name)
    {
        if (!OperatingSystem.IsWindows())
        {
            // link(2) is atomic and never replaces an existing name; .NET's File.Move(overwrite: false)
            // checks and then renames, so two racing writers could both "win".
            int errno = UnixFileSystem.Link(temporary, path);
            if (errno == 0)
            {
                TryDelete(temporary);
                return;
            }

            if (errno == EExist)
            {
                throw Directory.Exists(path) ? DirectoryInTheWay(name) : StorageException.AlreadyExists(Location, name);
            }

            if (Array.IndexOf(NoHardLinkErrnos, errno) < 0)
            {
                throw UnixFileSystem.ErrnoException("link", $"'{temporary}' to '{path}'", errno);
            }

            // The file system has no hard links (FAT, some FUSE and SMB mounts): fall back to
            // File.Move, which refuses an existing name but is not race-free.
        }

        try
        {
            // On Windows MoveFileEx without MOVEFILE_REPLACE_EXISTING is atomic and never replaces.
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw StorageException.AlreadyExists(Location, name);
        }
        catch (IOException) when (Directory.Exists(path))
        {
            throw DirectoryInTheWay(name);
        }
    }

    private StorageException DirectoryInTheWay(string name) =>
        new(StorageErrorKind.Permanent, $"cannot write object '{name}' in {Location}: a directory of that name holds other objects");

    private void CreateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        // Create the missing directories, then fsync each one's parent so the new entries survive a crash.
        var missing = new Stack<string>();
        for (string? current = directory; current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Push(current);
        }

        Directory.CreateDirectory(directory);
        foreach (string created in missing)
        {
            UnixFileSystem.FlushDirectory(Path.GetDirectoryName(created)!);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // best effort: a leftover temporary file is never listed and is cleaned up later
        }
    }
}
