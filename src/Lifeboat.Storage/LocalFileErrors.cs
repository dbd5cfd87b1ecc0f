namespace Lifeboat.Storage;

/// <summary>Classifies file-system exceptions as <see cref="StorageException"/>s.</summary>
internal static class LocalFileErrors
{
    // On Unix .NET puts the errno in IOException.HResult; on Windows an HRESULT from a Win32 error.
    private const int ENoSpc = 28;
    private const int EDQuotLinux = 122;
    private const int EDQuotMac = 69;
    private const int WinDiskFull = unchecked((int)0x80070070);
    private const int WinHandleDiskFull = unchecked((int)0x80070027);
    private static readonly int[] TransientErrnos = [4 /* EINTR */, 11 /* EAGAIN */, 16 /* EBUSY */, 110 /* ETIMEDOUT */, 116 /* ESTALE */];

    /// <summary>
    /// Whether <paramref name="exception"/> says the disk (or the user's quota) is full. The errno is
    /// in HResult for writes, fsync, link and mkdir; a failed preallocation (File.OpenHandle with a
    /// preallocationSize) carries only the generic COR_E_IO (0x80131620) and the words "because the disk
    /// was full", so the message is the only sign there.
    /// </summary>
    public static bool IsOutOfSpace(IOException exception) =>
        exception.HResult is ENoSpc or WinDiskFull or WinHandleDiskFull
        || (OperatingSystem.IsLinux() && exception.HResult == EDQuotLinux)
        || (OperatingSystem.IsMacOS() && exception.HResult == EDQuotMac)
        || exception.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase)
        || exception.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || exception.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Maps <paramref name="exception"/>, raised while <paramref name="action"/> (e.g. "write")
    /// object <paramref name="name"/>, to a classified exception. Returns <paramref name="exception"/>
    /// itself when it is already a <see cref="StorageException"/> or a cancellation.
    /// </summary>
    public static Exception Map(Exception exception, string location, string name, string action) =>
        exception switch
        {
            StorageException or OperationCanceledException => exception,
            FileNotFoundException or DirectoryNotFoundException =>
                new StorageException(StorageErrorKind.NotFound, $"object '{name}' does not exist in {location}", exception),
            UnauthorizedAccessException =>
                new StorageException(
                    StorageErrorKind.Permanent,
                    $"permission denied to {action} object '{name}' in {location}: check the owner and mode of that directory ({exception.Message})",
                    exception),
            IOException io when IsOutOfSpace(io) =>
                StorageException.OutOfSpace(
                    $"no space left to {action} object '{name}' in {location} ({exception.Message.TrimEnd('.')})",
                    "free space on that file system (or raise the quota) or use another repository",
                    exception),
            IOException io when Array.IndexOf(TransientErrnos, io.HResult) >= 0 && !OperatingSystem.IsWindows() =>
                new StorageException(StorageErrorKind.Transient, $"cannot {action} object '{name}' in {location}: {exception.Message}", exception),
            IOException =>
                new StorageException(StorageErrorKind.Permanent, $"cannot {action} object '{name}' in {location}: {exception.Message}", exception),
            _ => exception,
        };
}
