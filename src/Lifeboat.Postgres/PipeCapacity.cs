using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Lifeboat.Postgres;

/// <summary>
/// Enlarges a pipe's kernel buffer (Linux <c>F_SETPIPE_SZ</c>) so that a child writing 1 MiB at a
/// time is read in large pieces rather than 64 KiB ones: fewer reads and wake-ups per gigabyte.
/// Best effort: anything that does not work leaves the pipe as it was.
/// </summary>
internal static partial class PipeCapacity
{
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ

    public static void TryEnlarge(Stream stream, int bytes = 1024 * 1024)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
            return;
        try
        {
            var fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
            _ = Fcntl(fd, SetPipeSize, bytes); // fails with EPERM above /proc/sys/fs/pipe-max-size: keep the default then
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or ObjectDisposedException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
