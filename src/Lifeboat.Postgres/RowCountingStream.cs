namespace Lifeboat.Postgres;

/// <summary>
/// A write-only pass-through stream that counts bytes and newlines (= rows of COPY text format,
/// which escapes newlines inside values) of what is written through it.
/// </summary>
internal sealed class RowCountingStream(Stream inner) : Stream
{
    public long BytesWritten { get; private set; }

    public long Newlines { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Account(buffer);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Account(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        BytesWritten += data.Length;
        Newlines += data.Count((byte)'\n');
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
