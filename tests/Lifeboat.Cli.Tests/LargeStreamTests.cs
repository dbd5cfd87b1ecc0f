using System.Security.Cryptography;

namespace Lifeboat.Cli.Tests;

public sealed class LargeStreamTests : IDisposable
{
    private const long OneGiB = 1L << 30;
    private const long MemoryBound = 256L * 1024 * 1024;
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task A_gibibyte_stream_round_trips_in_bounded_memory()
    {
        await _repo.InitAsync();
        var source = new GeneratedStream(OneGiB, seed: 42);

        var backup = await _repo.Cli.RunAsync(source, null, "backup", "--stdin", "--name", "big", "--json");

        backup.ExitCode.Should().Be(0, backup.ToString());
        backup.PeakRssBytes.Should().BeLessThan(MemoryBound);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sink = new HashingSink(hash);
        var dump = await _repo.Cli.RunAsync(null, sink, "dump", "latest", "big");
        dump.ExitCode.Should().Be(0, dump.ToString());
        dump.PeakRssBytes.Should().BeLessThan(MemoryBound);
        sink.Length.Should().Be(OneGiB);
        hash.GetHashAndReset().Should().Equal(source.Sha256());
    }

    public void Dispose() => _repo.Dispose();

    /// <summary>A deterministic, partly compressible stream produced on the fly.</summary>
    private sealed class GeneratedStream(long length, ulong seed) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private ulong _state = seed | 1;
        private long _position;

        public byte[] Sha256() => _hash.GetHashAndReset();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length & ~7, length - _position);
            for (var i = 0; i + 8 <= n; i += 8)
            {
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
                BitConverter.TryWriteBytes(buffer[i..], _state & 0x0F0F0F0F0F0F0F0F);
            }

            _hash.AppendData(buffer[..n]);
            _position += n;
            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class HashingSink(IncrementalHash hash) : Stream
    {
        public override long Length => _length;

        private long _length;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            _length += buffer.Length;
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
