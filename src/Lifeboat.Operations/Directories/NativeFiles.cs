using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Lifeboat.Repository.Directories;

namespace Lifeboat.Operations.Directories;

/// <summary>What <c>statx(2)</c> says of a path, without following a symbolic link.</summary>
internal sealed record FileStatus(
    EntryType Type, int Mode, uint Uid, uint Gid, long Size, ulong Inode, ulong Device, long MtimeSeconds, int MtimeNanoseconds, ulong Rdev);

/// <summary>
/// The few Linux calls .NET does not offer: <c>statx</c> (owner, inode, device and nanosecond times of a path, the
/// link itself for a symbolic link), <c>lchown</c>, <c>utimensat</c> on a link, <c>mkfifo</c> and <c>geteuid</c>.
/// statx is used because its buffer has one layout on every architecture.
/// </summary>
internal static partial class NativeFiles
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int NoSuchEntry = 2;

    /// <summary>The status of <paramref name="path"/> (not following a link); an <see cref="IOException"/> naming the reason when it fails.</summary>
    public static unsafe FileStatus Stat(string path)
    {
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw Failure();
        }

        var b = new ReadOnlySpan<byte>(buffer, 256);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(b[28..]);
        return new FileStatus(
            TypeOf(mode),
            mode & 0xfff,
            BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
            BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[140..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[112..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(b[120..]),
            ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[128..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[132..]));
    }

    /// <summary>Whether this process runs as root (and so may give files their owners back).</summary>
    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Sets the owner of <paramref name="path"/> (the link itself for a symbolic link).</summary>
    public static void SetOwner(string path, uint uid, uint gid)
    {
        if (Lchown(path, uid, gid) != 0)
        {
            throw Failure();
        }
    }

    /// <summary>Sets the modification time (and the access time, to the same) of <paramref name="path"/>, not following a link.</summary>
    public static unsafe void SetTimes(string path, long seconds, int nanoseconds)
    {
        var times = stackalloc long[4] { seconds, nanoseconds, seconds, nanoseconds };
        if (Utimensat(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
        {
            throw Failure();
        }
    }

    /// <summary>The type of what is at <paramref name="path"/> (a link itself, not followed), or null when nothing is.</summary>
    public static EntryType? TypeAt(string path)
    {
        try
        {
            return Stat(path).Type;
        }
        catch (IOException e) when (e.HResult == NoSuchEntry)
        {
            return null;
        }
    }

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/> in one step (rename(2): replaces a file or link there, never follows a link).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameCall(from, to) != 0)
        {
            throw Failure();
        }
    }

    /// <summary>Creates a named pipe.</summary>
    public static void MakeFifo(string path, int mode)
    {
        if (Mkfifo(path, (uint)mode) != 0)
        {
            throw Failure();
        }
    }

    private static EntryType TypeOf(int mode) => (mode & 0xf000) switch
    {
        0x8000 => EntryType.File,
        0x4000 => EntryType.Directory,
        0xa000 => EntryType.Symlink,
        0x1000 => EntryType.Fifo,
        0xc000 => EntryType.Socket,
        0x2000 => EntryType.CharDevice,
        0x6000 => EntryType.BlockDevice,
        _ => throw new IOException($"unknown file type {mode & 0xf000:x}"),
    };

    private static IOException Failure()
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException(Marshal.GetPInvokeErrorMessage(errno), errno);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Utimensat(int dirFd, string path, long* times, int flags);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameCall(string from, string to);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mkfifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
