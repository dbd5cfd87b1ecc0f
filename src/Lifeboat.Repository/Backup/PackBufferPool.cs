using System.Threading.Channels;

namespace Lifeboat.Repository.Backup;

/// <summary>
/// A fixed number of pack-sized buffers. Renting waits when all are in use (being filled or
/// uploaded): this is the back-pressure that bounds a backup's memory.
/// </summary>
internal sealed class PackBufferPool(int count, int bufferSize)
{
    private readonly Channel<byte[]> _free = Channel.CreateUnbounded<byte[]>();
    private int _created;

    public async ValueTask<byte[]> RentAsync(CancellationToken cancellationToken)
    {
        if (_free.Reader.TryRead(out var buffer))
        {
            return buffer;
        }

        if (Interlocked.Increment(ref _created) <= count)
        {
            return new byte[bufferSize];
        }

        Interlocked.Decrement(ref _created);
        return await _free.Reader.ReadAsync(cancellationToken);
    }

    public void Return(byte[] buffer) => _free.Writer.TryWrite(buffer);
}
