using System.Runtime.InteropServices;

namespace Lifeboat.Storage;

/// <summary>
/// The few POSIX calls .NET does not expose: .NET refuses to open a directory as a file, but a
/// new directory entry (a renamed or linked file) is only durable once its directory is fsynced.
/// </summary>
internal static partial class UnixFileSystem
{
    private const int ORdOnly = 0;
    private const int OCloExecLinux = 0x80000; // O_CLOEXEC on Linux (O_DIRECTORY differs by architecture, so it is not used)
    private const int EIntr = 4;

    /// <summary>
    /// Flushes a directory's entries to disk (open O_RDONLY|O_DIRECTORY, fsync, close). Does
    /// nothing on Windows, where NTFS journals directory changes and a directory cannot be flushed.
    /// </summary>
    public static void FlushDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int flags = OperatingSystem.IsLinux() ? ORdOnly | OCloExecLinux : ORdOnly;
        int fd = Open(path, flags);
        if (fd < 0)
        {
            throw ErrnoException("open", $"directory '{path}'", Marshal.GetLastPInvokeError());
        }

        try
        {
            int result;
            do
            {
                result = FSync(fd);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == EIntr);

            if (result < 0)
            {
                throw ErrnoException("fsync", $"directory '{path}'", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Creates <paramref name="newPath"/> as a hard link to <paramref name="existingPath"/>:
    /// atomic, and never replaces an existing <paramref name="newPath"/> (unlike rename(2)).
    /// Returns 0 on success, else the errno (17, EEXIST, when the name is taken).
    /// </summary>
    public static int Link(string existingPath, string newPath)
    {
        int result;
        do
        {
            result = LinkNative(existingPath, newPath);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == EIntr);

        return result < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>An exception for a failed call, of the type .NET itself would raise for that errno.</summary>
    public static Exception ErrnoException(string call, string subject, int errno) =>
        errno switch
        {
            2 => new DirectoryNotFoundException($"{call} of {subject} failed: {Marshal.GetPInvokeErrorMessage(errno)}"),
            1 or 13 => new UnauthorizedAccessException($"{call} of {subject} failed: {Marshal.GetPInvokeErrorMessage(errno)}"),
            _ => new IOException($"{call} of {subject} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno),
        };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string existingPath, string newPath);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
