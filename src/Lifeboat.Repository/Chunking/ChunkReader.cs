using System.Buffers;

namespace Lifeboat.Repository.Chunking;

/// <summary>
/// Splits a stream into content-defined chunks. Each chunk is handed out in its own buffer
/// rented from <see cref="ArrayPool{T}.Shared"/>; the receiver returns it. Memory: one window
/// of twice the maximum chunk size.
/// </summary>
internal sealed class ChunkReader : IDisposable
{
    private readonly Stream _source;
    private readonly Chunker _chunker;
    private readonly byte[] _window;
    private int _start;
    private int _end;
    private bool _eof;

    public ChunkReader(Stream source, Chunker chunker)
    {
        _source = source;
        _chunker = chunker;
        _window = ArrayPool<byte>.Shared.Rent(chunker.Parameters.MaxSize * 2);
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_window);

    /// <summary>Total bytes read from the source so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The next chunk, or null at the end of the stream.</summary>
    public async ValueTask<RentedChunk?> ReadAsync(CancellationToken cancellationToken)
    {
        var max = _chunker.Parameters.MaxSize;
        if (_end - _start < max && !_eof)
        {
            if (_window.Length - _start < max)
            {
                Buffer.BlockCopy(_window, _start, _window, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            while (_end - _start < max && !_eof)
            {
                var read = await _source.ReadAsync(_window.AsMemory(_end, _window.Length - _end), cancellationToken);
                if (read == 0)
                {
                    _eof = true;
                }

                _end += read;
                BytesRead += read;
            }
        }

        if (_end == _start)
        {
            return null;
        }

        var length = _chunker.NextBoundary(_window.AsSpan(_start, _end - _start));
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        Buffer.BlockCopy(_window, _start, buffer, 0, length);
        _start += length;
        return new RentedChunk(buffer, length);
    }
}

/// <summary>A chunk in a pooled buffer; <see cref="Return"/> gives the buffer back.</summary>
internal sealed class RentedChunk(byte[] buffer, int length)
{
    private byte[]? _buffer = buffer;

    public int Length { get; } = length;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(RentedChunk))).AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RentedChunk))).AsMemory(0, Length);

    public void Return()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
