using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>The repository as the destination of a database capture: each stream goes into the snapshot being written.</summary>
internal sealed class RepositoryStreamSink(BackupWriter writer) : IStreamSink
{
    public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        var stored = await writer.AddStreamAsync(name, content, cancellationToken);
        return new StoredStream(stored.Size, stored.Sha256);
    }
}

/// <summary>A snapshot as the source of a restore: each stream is read, verified, as it is consumed.</summary>
public sealed class SnapshotStreamSource(BlobReader reader, Snapshot snapshot) : IStreamSource
{
    private long _bytesRead;

    /// <summary>Bytes handed out so far, for progress displays.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken)
    {
        var stream = snapshot.Streams.FirstOrDefault(s => s.Name == name)
            ?? throw new IntegrityException($"the snapshot has no stream '{name}', which its manifest needs");
        var restorer = new StreamRestorer(reader, Math.Max(4, Environment.ProcessorCount * 2));
        return Task.FromResult<Stream>(new CountingStream(restorer.OpenRead(stream, cancellationToken), this));
    }

    private sealed class CountingStream(Stream inner, SnapshotStreamSource owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        private int Count(int read)
        {
            Interlocked.Add(ref owner._bytesRead, read);
            return read;
        }
    }
}
