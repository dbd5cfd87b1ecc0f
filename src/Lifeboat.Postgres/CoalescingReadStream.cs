namespace Lifeboat.Postgres;

/// <summary>
/// Fills reads from a stream that returns small pieces: Npgsql's raw COPY stream hands out at
/// most one COPY message — one row, often ~100 bytes — per read. Looping here until a large
/// buffer is full (or the stream ends) turns a million tiny reads through the hashing, progress
/// and chunking layers into a few hundred big ones.
/// </summary>
internal sealed class CoalescingReadStream(Stream inner, int fillSize = 256 * 1024) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var target = Math.Min(buffer.Length, fillSize);
        var total = 0;
        while (total < target)
        {
            var n = inner.Read(buffer[total..]);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var target = Math.Min(buffer.Length, fillSize);
        var total = 0;
        while (total < target)
        {
            var n = await inner.ReadAsync(buffer[total..], cancellationToken);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
