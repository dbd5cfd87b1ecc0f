using Lifeboat.Repository.Format;
using ZstdSharp;

namespace Lifeboat.Repository.Tests;

public class ZstdTests
{
    private static byte[] SampleText()
    {
        var random = new Random(7);
        var words = new[] { "alpha", "bravo", "charlie", "delta", "\t", "\n", "2026-11-23", "{\"k\": 1}" };
        var text = string.Concat(Enumerable.Range(0, 200_000).Select(_ => words[random.Next(words.Length)]));
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    [Fact]
    public void The_native_library_is_used_wherever_the_host_has_libzstd_and_the_managed_port_otherwise()
    {
        // libzstd1 is part of every Debian system (dpkg depends on it); falling back silently there would halve backup speed.
        // A host without it (Alpine without zstd-libs, a minimal container) must still compress, with the managed port.
        var hostHasLibzstd = Environment.GetEnvironmentVariable("LIFEBOAT_ZSTD") != "managed"
            && System.Runtime.InteropServices.NativeLibrary.TryLoad("libzstd.so.1", out var handle)
            && FreeAndReturnTrue(handle);
        Zstd.IsNative.Should().Be(hostHasLibzstd);
        var data = SampleText();
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var length = Zstd.Compress(data, compressed, 3);
        var back = new byte[data.Length];
        Zstd.Decompress(compressed.AsSpan(0, length), back).Should().Be(data.Length);
        back.Should().Equal(data);
    }

    private static bool FreeAndReturnTrue(IntPtr handle)
    {
        System.Runtime.InteropServices.NativeLibrary.Free(handle);
        return true;
    }

    [Fact]
    public void Frames_the_managed_port_wrote_declare_their_size_so_older_index_files_still_decode()
    {
        // index files were compressed with ZstdSharp's Wrap before they moved to libzstd; their reader relies on the declared size
        var data = SampleText();
        using var compressor = new Compressor(3);
        Zstd.FrameContentSize(compressor.Wrap(data)).Should().Be(data.Length);
        Zstd.FrameContentSize(compressor.Wrap(ReadOnlySpan<byte>.Empty)).Should().Be(0);
    }

    [Fact]
    public void Frames_written_by_the_native_library_decode_with_the_managed_port_and_back()
    {
        var data = SampleText();
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var length = Zstd.Compress(data, compressed, 3);
        length.Should().BeLessThan(data.Length / 3);
        using (var managed = new Decompressor())
            managed.Unwrap(compressed.AsSpan(0, length)).ToArray().Should().Equal(data);

        using var compressor = new Compressor(3);
        var fromManaged = compressor.Wrap(data).ToArray();
        var output = new byte[data.Length];
        Zstd.Decompress(fromManaged, output).Should().Be(data.Length);
        output.Should().Equal(data);
    }

    [Fact]
    public void A_truncated_frame_is_refused_with_invalid_data()
    {
        var data = SampleText();
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var length = Zstd.Compress(data, compressed, 3);
        var act = () => Zstd.Decompress(compressed.AsSpan(0, length / 2), new byte[data.Length]);
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void A_destination_too_small_is_an_error_not_an_overflow()
    {
        var data = SampleText();
        var compressed = new byte[Zstd.CompressBound(data.Length)];
        var length = Zstd.Compress(data, compressed, 3);
        var act = () => Zstd.Decompress(compressed.AsSpan(0, length), new byte[data.Length - 1]);
        act.Should().Throw<InvalidDataException>();
    }
}
