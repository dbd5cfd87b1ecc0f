using System.Runtime.InteropServices;
using ZstdSharp;

namespace Lifeboat.Repository.Format;

/// <summary>
/// One-shot zstd compression of blobs. Uses the system's native libzstd (Debian's <c>libzstd1</c>,
/// which dpkg itself depends on) when it can be loaded: it is about twice as fast as the managed
/// port and needs no JIT warm-up. Falls back to ZstdSharp otherwise. Both write standard zstd
/// frames, so either reads what the other wrote; only the compressed bytes may differ, and they
/// are never part of a blob's identity (ids are keyed hashes of the plaintext).
/// </summary>
internal static partial class Zstd
{
    /// <summary>True when the native library is in use (exposed for diagnostics and tests).</summary>
    public static bool IsNative { get; } = Environment.GetEnvironmentVariable("LIFEBOAT_ZSTD") != "managed" && Native.TryLoad();

    [ThreadStatic]
    private static Native.CompressionContext? t_nativeCompressor;

    [ThreadStatic]
    private static Native.DecompressionContext? t_nativeDecompressor;

    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static int t_compressorLevel;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    /// <summary>The largest compressed size of <paramref name="length"/> bytes (zstd's ZSTD_COMPRESSBOUND).</summary>
    public static int CompressBound(int length)
        => length + (length >> 8) + (length < 128 * 1024 ? ((128 * 1024) - length) >> 11 : 0);

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="CompressBound"/> long); returns the length.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        if (IsNative)
        {
            return (t_nativeCompressor ??= new Native.CompressionContext()).Compress(source, destination, level);
        }

        if (t_compressor is null || t_compressorLevel != level)
        {
            t_compressor?.Dispose();
            t_compressor = new Compressor(level);
            t_compressorLevel = level;
        }

        return t_compressor.Wrap(source, destination);
    }

    /// <summary>The content size a frame declares (every frame Lifeboat writes does), or -1 when it declares none or is not a frame.</summary>
    public static unsafe long FrameContentSize(ReadOnlySpan<byte> source)
    {
        ulong size;
        fixed (byte* src = source)
        {
            size = IsNative ? Native.GetFrameContentSize(src, (nuint)source.Length) : ZstdSharp.Unsafe.Methods.ZSTD_getFrameContentSize(src, (nuint)source.Length);
        }

        // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values
        return size >= ulong.MaxValue - 1 || size > int.MaxValue ? -1 : (long)size;
    }

    /// <summary>Decompresses one frame into <paramref name="destination"/>; returns the length. Throws <see cref="InvalidDataException"/> on damaged input.</summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (IsNative)
        {
            return (t_nativeDecompressor ??= new Native.DecompressionContext()).Decompress(source, destination);
        }

        try
        {
            return (t_decompressor ??= new Decompressor()).Unwrap(source, destination);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static unsafe partial class Native
    {
        private const string Library = "libzstd.so.1";

        public static bool TryLoad()
        {
            try
            {
                // a version call proves the library loads and the entry points resolve
                return NativeLibrary.TryLoad(Library, typeof(Zstd).Assembly, null, out _) && ZSTD_versionNumber() >= 10400;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                return false;
            }
        }

        private static void ThrowIfError(nuint code, string what)
        {
            if (ZSTD_isError(code) != 0)
            {
                throw new InvalidDataException($"zstd {what} failed: {Marshal.PtrToStringAnsi(ZSTD_getErrorName(code))}");
            }
        }

        [LibraryImport(Library)]
        private static partial uint ZSTD_versionNumber();

        [LibraryImport(Library)]
        private static partial uint ZSTD_isError(nuint code);

        [LibraryImport(Library)]
        private static partial nint ZSTD_getErrorName(nuint code);

        [LibraryImport(Library)]
        private static partial nint ZSTD_createCCtx();

        [LibraryImport(Library)]
        private static partial nuint ZSTD_freeCCtx(nint context);

        [LibraryImport(Library)]
        private static partial nuint ZSTD_compressCCtx(nint context, byte* destination, nuint capacity, byte* source, nuint length, int level);

        [LibraryImport(Library)]
        private static partial ulong ZSTD_getFrameContentSize(byte* source, nuint length);

        public static ulong GetFrameContentSize(byte* source, nuint length) => ZSTD_getFrameContentSize(source, length);

        [LibraryImport(Library)]
        private static partial nint ZSTD_createDCtx();

        [LibraryImport(Library)]
        private static partial nuint ZSTD_freeDCtx(nint context);

        [LibraryImport(Library)]
        private static partial nuint ZSTD_decompressDCtx(nint context, byte* destination, nuint capacity, byte* source, nuint length);

        /// <summary>A per-thread compression context, freed by its finalizer when the thread (and so the context) goes away.</summary>
        public sealed class CompressionContext
        {
            private readonly nint _context = ZSTD_createCCtx();

            ~CompressionContext() => ZSTD_freeCCtx(_context);

            public int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
            {
                nuint written;
                fixed (byte* src = source)
                fixed (byte* dst = destination)
                {
                    written = ZSTD_compressCCtx(_context, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
                }

                ThrowIfError(written, "compression");
                return (int)written;
            }
        }

        /// <summary>A per-thread decompression context, freed by its finalizer.</summary>
        public sealed class DecompressionContext
        {
            private readonly nint _context = ZSTD_createDCtx();

            ~DecompressionContext() => ZSTD_freeDCtx(_context);

            public int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
            {
                nuint written;
                fixed (byte* src = source)
                fixed (byte* dst = destination)
                {
                    written = ZSTD_decompressDCtx(_context, dst, (nuint)destination.Length, src, (nuint)source.Length);
                }

                ThrowIfError(written, "decompression");
                return (int)written;
            }
        }
    }
}
