namespace Lifeboat.Operations;

/// <summary>A stream to back up was empty (e.g. the program piping into lifeboat failed); nothing was saved.</summary>
public sealed class EmptyInputException(string message) : Exception(message);

/// <summary>
/// Reads the first byte of an input before a backup starts, so an empty input is refused before
/// anything is locked or written; the byte is handed out again as the stream's first.
/// </summary>
internal sealed class NonEmptyInput : Stream
{
    private readonly Stream _rest;
    private byte? _first;

    private NonEmptyInput(byte first, Stream rest)
    {
        _first = first;
        _rest = rest;
    }

    /// <summary><paramref name="input"/> with its first byte read already; <see cref="EmptyInputException"/> when it has none.</summary>
    public static async Task<Stream> OpenAsync(Stream input, CancellationToken cancellationToken)
    {
        var first = new byte[1];
        var read = await input.ReadAsync(first, cancellationToken);
        return read == 0
            ? throw new EmptyInputException(
                "read 0 bytes from standard input: the program piping into lifeboat (e.g. pg_dump) probably failed, see its error messages; " +
                "nothing was saved; pass --allow-empty if an empty stream is expected")
            : new NonEmptyInput(first[0], input);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (TakeFirst(buffer))
        {
            return 1;
        }

        return _rest.Read(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        TakeFirst(buffer.Span) ? ValueTask.FromResult(1) : _rest.ReadAsync(buffer, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private bool TakeFirst(Span<byte> buffer)
    {
        if (_first is not { } first || buffer.IsEmpty)
        {
            return false;
        }

        buffer[0] = first;
        _first = null;
        return true;
    }
}
